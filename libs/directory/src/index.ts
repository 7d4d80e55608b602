// The received-fax directory (users, DIDs, mailboxes, routes): its schema, parser, the file
// source every inbound process reloads, the editor, and the console API over it. A lib, so the
// console and the inbound role share it without one service importing the other.
export { directoryFields } from './directory-config.ts';
export { registerInboundApi } from './inbound-api.ts';
export { parseDirectory, DirectoryError, type DirectoryIssue } from './directory-parse.ts';
export { DirectorySource } from './directory-source.ts';
export { senderDetailsOf, directorySenderLookup, type SenderDetails } from './sender-details.ts';
export { DirectoryEditor, DirectoryEditError } from './directory-editor.ts';
export { directorySchema, userSchema, routeSchema } from './directory-schema.ts';
export type { Directory, DirectoryUser, DirectoryUserInput, RouteRule, RouteRuleInput } from './directory-schema.ts';
