/** The avatars module's public face, for the composition root. */
export { createAvatarServeRouter, createAvatarUploadRouter } from './router';
export { AvatarService } from './service';
export { AvatarStorage } from './storage';
