/** The users module's public face: the repository of `users`, how a user is shown, and the people picker. */
export { takenUserField, UserRepository, type NewUser, type UserRecord } from './repository';
export { defaultAvatarUrl, UserProfiles, type ProfileRow } from './profiles';
export { UserDirectory } from './directory';
export { createUsersRouter } from './router';
export { registerUserHandlers } from './socket';
