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
  registerBody,
  roleListSchema,
  tokenPair,
  updateUserBody,
  userIdParams,
  userSchema,
} from './auth.schemas.js';
import { publicUser } from './auth.queries.js';
import type { AuthService } from './auth.service.js';
import { ADMIN, ROLE_LIST } from './roles.js';
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

  app.get('/auth/roles/list', {
    config: { roles: ADMIN },
    schema: {
      tags: ['auth'],
      summary: 'The roles, with the fixed ids POS front ends use (1 Administrador, 2 Operador, 3 Usuario, 4 Conductor)',
      security: secured,
      response: { 200: roleListSchema, 401: posError, 403: posError },
    },
    handler: () => [...ROLE_LIST],
  });
};

export const usersRoutes: FastifyPluginAsyncZod<{ users: UsersService }> = async (app, { users }) => {
  const admin = { roles: ADMIN };

  app.post('/usuario', {
    config: admin,
    schema: { tags: ['users'], summary: 'Create a user', security: secured, body: createUserBody, response: { 201: userSchema, ...errors, 409: posError } },
    handler: async (request, reply) => reply.code(201).send(await users.create(request.body)),
  });

  app.post('/usuario/register', {
    config: admin,
    schema: {
      tags: ['users'],
      summary: 'Create a user as POS front ends do (Administrador only; never public)',
      description:
        'id_role maps through GET /auth/roles/list (1 Administrador, 2 Operador, 3 Usuario); absent → Usuario. ' +
        'id_role 4 (Conductor) or an unknown id is a 400: drivers are created through POST /drivers. estado: false creates ' +
        'the user deactivated.',
      security: secured,
      body: registerBody,
      response: { 201: userSchema, ...errors, 409: posError },
    },
    handler: async (request, reply) => {
      const { id_role, estado, name: _name, ...user } = request.body;
      const role = ROLE_LIST.find((r) => r.id === (id_role ?? 3))!.nombre;
      return reply.code(201).send(await users.create({ ...user, role, activo: estado ?? true }));
    },
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
