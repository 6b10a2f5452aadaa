/** The users module's public face: the repository of `users` and how a user is shown. */
export { takenUserField, UserRepository, type NewUser, type UserRecord } from './repository';
export { defaultAvatarUrl, UserProfiles, type ProfileRow } from './profiles';
