import type { RequestHandler } from 'express';
import helmet from 'helmet';
import type { Config } from '../config';

/** Origin of an absolute CDN_PREFIX (avatars on a CDN), which the page must be allowed to load images from. */
export function cdnOrigin(cdnPrefix: string): string | undefined {
  try {
    return new URL(cdnPrefix).origin;
  } catch {
    return undefined;
  }
}

/** helmet's headers with a CSP that allows exactly what the client does: own scripts, styles and sockets; avatars. */
export function securityHeaders(config: Config): RequestHandler {
  const cdn = cdnOrigin(config.CDN_PREFIX);
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:', ...(cdn ? [cdn] : [])],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(config.COOKIE_SECURE ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // HSTS only makes sense behind TLS.
    strictTransportSecurity: config.COOKIE_SECURE,
  });
}
