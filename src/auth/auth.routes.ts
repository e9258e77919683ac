import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { unauthorized } from '../core/errors.js';
import { posError } from '../core/schemas.js';
import { actorOf, bearerToken } from './auth.hook.js';
import {
  createUserBody,
  loginBody,
  loginResponse,
  publicUserSchema,
  tokenPair,
  updateUserBody,
  userIdParams,
  userSchema,
} from './auth.schemas.js';
import { publicUser } from './auth.queries.js';
import type { AuthService } from './auth.service.js';
import { ADMIN } from './roles.js';
import type { UsersService } from './users.service.js';

const secured = [{ bearerAuth: [] }];
const errors = { 400: posError, 401: posError, 403: posError };

export const authRoutes: FastifyPluginAsyncZod<{ auth: AuthService }> = async (app, { auth }) => {
  app.post('/auth/login', {
    config: { public: true },
    schema: {
      tags: ['auth'],
      summary: 'Log in with email and password',
      body: loginBody,
      response: { 200: loginResponse, 400: posError, 401: posError, 429: posError },
    },
    handler: async (request) => auth.login(request.body.email, request.body.password, request.ip),
  });

  app.post('/auth/refresh_token', {
    config: { public: true },
    schema: {
      tags: ['auth'],
      summary: 'Rotate a refresh token (send it as the Bearer token)',
      security: secured,
      response: { 200: tokenPair, 401: posError },
    },
    handler: async (request) => {
      const token = bearerToken(request.headers.authorization);
      if (!token) throw unauthorized();
      return auth.refresh(token);
    },
  });

  app.post('/auth/logout', {
    schema: { tags: ['auth'], summary: 'Revoke the caller’s sessions', security: secured, response: { 204: z.null(), 401: posError } },
    handler: async (request, reply) => {
      await auth.logout(actorOf(request));
      return reply.code(204).send(null);
    },
  });

  app.get('/auth/me', {
    schema: { tags: ['auth'], summary: 'The caller', security: secured, response: { 200: publicUserSchema, 401: posError } },
    handler: async (request) => publicUser(actorOf(request)),
  });
};

export const usersRoutes: FastifyPluginAsyncZod<{ users: UsersService }> = async (app, { users }) => {
  const admin = { roles: ADMIN };

  app.post('/usuario', {
    config: admin,
    schema: { tags: ['users'], summary: 'Create a user', security: secured, body: createUserBody, response: { 201: userSchema, ...errors, 409: posError } },
    handler: async (request, reply) => reply.code(201).send(await users.create(request.body)),
  });

  app.get('/usuario', {
    config: admin,
    schema: { tags: ['users'], summary: 'List users', security: secured, response: { 200: z.array(userSchema), ...errors } },
    handler: async () => users.list(),
  });

  app.get('/usuario/:id', {
    config: admin,
    schema: { tags: ['users'], summary: 'Get a user', security: secured, params: userIdParams, response: { 200: userSchema, ...errors, 404: posError } },
    handler: async (request) => users.get(request.params.id),
  });

  app.patch('/usuario/:id', {
    config: admin,
    schema: {
      tags: ['users'],
      summary: 'Update a user (deactivation and password changes end their sessions)',
      security: secured,
      params: userIdParams,
      body: updateUserBody,
      response: { 200: userSchema, ...errors, 404: posError },
    },
    handler: async (request) => users.update(request.params.id, request.body),
  });
};
