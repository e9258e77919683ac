// Builds the web console (web/ → web/dist) with Vite, a devDependency. On an
// install without devDependencies there is no Vite: say so and go on, the
// server then serves the API alone (src/console/console.routes.ts).
let vite;
try {
  vite = await import('vite');
} catch {
  console.warn('vite is not installed (npm install without --omit=dev builds the web console); skipping the console build');
  process.exit(0);
}
await vite.build({ configFile: new URL('../web/vite.config.ts', import.meta.url).pathname, logLevel: 'warn' });
