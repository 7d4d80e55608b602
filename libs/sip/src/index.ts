// A sans-IO SIP user agent for fax endpoints (RFC 3261 subset) and the SDP it needs (RFC 4566, T.38 Annex D).
export {};
