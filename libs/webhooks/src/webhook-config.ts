import { bool } from '@faxgate/config';

/** Read by the console (when a webhook is created) and the notifier (at each delivery). */
export const webhookFields = {
  FAXGATE_WEBHOOK_ALLOW_PRIVATE: bool(false).describe('Let webhooks reach loopback, private and link-local addresses (10/8, 192.168/16, 127/8, 169.254/16, fc00::/7, …). Off: such URLs are refused when created and when delivered (SSRF). Turn on only when every token holder may reach your internal network.'),
};
