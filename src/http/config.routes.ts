import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

// What a console needs to know before anyone logs in (API.md §6.3): no token.

const publicConfig = z
  .object({
    shopName: z.string(),
    posCurrency: z.string().meta({ description: 'ISO 4217, for display only (BOB is shown as "Bs")' }),
    timezone: z.string().meta({ description: 'BUSINESS_TIMEZONE: the zone of the reports’ days' }),
    locale: z.string(),
  })
  .meta({ id: 'PublicConfig' });

export const configRoutes: FastifyPluginAsyncZod<{ shopName: string; posCurrency: string; timezone: string; locale: string }> = async (
  app,
  settings,
) => {
  const answer = { shopName: settings.shopName, posCurrency: settings.posCurrency, timezone: settings.timezone, locale: settings.locale };
  app.get('/config/public', {
    config: { public: true },
    schema: { tags: ['health'], summary: 'Shop name, currency, time zone and locale the console shows', response: { 200: publicConfig } },
    handler: () => answer,
  });
};
