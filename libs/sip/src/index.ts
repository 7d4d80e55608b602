export * from './message.ts';
export * from './fields.ts';
export * from './digest.ts';
export * from './sdp.ts';
export * from './actions.ts';
export { TransactionLayer, type ClientTransaction, type ServerTransaction, type TransactionUser } from './transaction.ts';
export { UserAgent, type UserAgentConfig, type UaEvent, type LocalMedia, type SipMediaMode, type RemoteAudio } from './user-agent.ts';
export { resultOfStatus, type SipCallResult } from './call-result.ts';
export { SIP_UDP_RECEIVE_BUFFER, SipEndpoint, type SipEndpointOptions } from './sip-endpoint.ts';
