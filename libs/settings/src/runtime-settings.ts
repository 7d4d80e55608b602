// Issue 20: the split between deployment settings (environment only: ports, Redis, data dir,
// TLS files, roles, line drivers and their hardware) and policy settings, which admins change
// during the working day and which the running gateway takes up without a restart. The
// environment still gives every policy setting its initial value.
//
// A setting belongs here only when every role that uses it reads it at the moment of use (or
// rebuilds what it derives from it when the settings change): listing one that a role reads
// once at start would make the console claim a change that never happens.

export interface RuntimeSettingGroup {
  title: string;
  names: readonly string[];
}

export const RUNTIME_SETTING_GROUPS: readonly RuntimeSettingGroup[] = [
  { title: 'Fax domains', names: ['FAXGATE_FAX_DOMAINS'] },
  { title: 'Who may send', names: ['FAXGATE_SMTP_CLIENT_NETWORKS', 'FAXGATE_SENDERS_ALLOW', 'FAXGATE_SENDERS_DENY', 'FAXGATE_SMTP_REQUIRE_AUTH', 'FAXGATE_SMTP_MAX_RECIPIENTS'] },
  { title: 'Dial rules', names: ['FAXGATE_DIAL_DENY', 'FAXGATE_DIAL_ALLOW', 'FAXGATE_DIAL_INTERNATIONAL', 'FAXGATE_DIAL_COSTLY_ALLOW'] },
  {
    title: 'Retry policy',
    names: ['FAXGATE_RETRY_BUSY_DELAY', 'FAXGATE_RETRY_NO_ANSWER_DELAY', 'FAXGATE_RETRY_FAILED_DELAY', 'FAXGATE_RETRY_MAX_DIALS', 'FAXGATE_RETRY_MAX_TRIES', 'FAXGATE_RETRY_RESUME'],
  },
  { title: 'Cover page and header line', names: ['FAXGATE_COVER_PAGE', 'FAXGATE_COVER_KEYWORD', 'FAXGATE_COVER_NOTICE', 'FAXGATE_COVER_TIMEZONE', 'FAXGATE_TAGLINE', 'FAXGATE_COVER_TEMPLATES'] },
  { title: 'Received faxes', names: ['FAXGATE_INBOUND_UNADDRESSED', 'FAXGATE_INBOUND_MAIL_ATTEMPTS'] },
  { title: 'Rendering limits', names: ['FAXGATE_RENDER_MAX_PAGES', 'FAXGATE_RENDER_MAX_PIXELS'] },
  { title: 'Result mails', names: ['FAXGATE_RESULT_MAIL_ON_SUCCESS', 'FAXGATE_RESULT_ATTACH_PDF', 'FAXGATE_RESULT_MAIL_TRUSTED_DOMAINS', 'FAXGATE_RESULT_MAIL_UNVERIFIED', 'FAXGATE_NOTIFY_BROADCAST', 'FAXGATE_NOTIFY_DELAY_WARNING'] },
  {
    title: 'Quotas',
    names: ['FAXGATE_QUOTA_SENDER_DESTINATIONS_PER_HOUR', 'FAXGATE_QUOTA_DOMAIN_DESTINATIONS_PER_HOUR', 'FAXGATE_QUOTA_SENDER_PAGES_PER_DAY', 'FAXGATE_QUOTA_DOMAIN_PAGES_PER_DAY'],
  },
  { title: 'Kill time and destination memory', names: ['FAXGATE_DISPATCH_KILL_AFTER', 'FAXGATE_DESTINATION_MAX_FAILURES', 'FAXGATE_DESTINATION_FAILURE_WINDOW', 'FAXGATE_DESTINATION_HOLD'] },
  { title: 'Quiet hours', names: ['FAXGATE_QUIET_HOURS'] },
];

export const RUNTIME_SETTINGS: ReadonlySet<string> = new Set(RUNTIME_SETTING_GROUPS.flatMap((g) => g.names));

/**
 * Settings whose value is a JSON object of name → text (cover templates): edited one entry at a
 * time as `NAME.<entry>`, and written as a YAML map in an export so a template stays readable in
 * git.
 */
export const MAP_SETTINGS: ReadonlySet<string> = new Set(['FAXGATE_COVER_TEMPLATES']);

export function isRuntimeSetting(name: string): boolean {
  return RUNTIME_SETTINGS.has(name);
}
