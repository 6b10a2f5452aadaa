/** Stylesheets are imported for their side effect; mini-css-extract-plugin turns them into a .css file. */
declare module '*.css';
