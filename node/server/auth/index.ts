/** The auth module's public face, for the composition root. */
export { requireCsrfToken } from './csrf';
export { createAuthRateLimits } from './rate-limit';
export { createAuthRouter } from './router';
export { AuthService } from './service';
export { createSessionMiddleware, withSessionErrorsAsUnavailable } from './session';
