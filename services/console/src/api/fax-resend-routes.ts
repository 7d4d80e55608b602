import type { FastifyInstance } from 'fastify';
import { SubmissionError, admitDestinations, checkSubmission, storeAndTakeIn, type SubmitDeps } from './fax-submission.ts';
import { idempotent, problem, queuedAnswer } from './fax-submit-routes.ts';
import type { IdempotencyKeys } from './idempotency.ts';
import { maySee, requireScope } from './principal.ts';
import { routeSchemas } from './schemas.ts';

/**
 * POST /faxes/:id/resend: the stored message of a fax taken in again as a new fax, to the same
 * numbers or to the ones given, through the dial rules again. The new fax keeps the first one's
 * sender and owner, so its result mails go where the first one's went.
 */
export function registerFaxResendRoutes(app: FastifyInstance, deps: SubmitDeps & { idempotency: IdempotencyKeys }) {
  app.post<{ Params: { id: string }; Body: { numbers?: string[] } | undefined }>('/api/v1/faxes/:id/resend', { schema: routeSchemas.resend, preHandler: requireScope('send') }, async (req, reply) => {
    const id = req.params.id;
    const fax = await deps.records.getFax(id);
    if (!fax || !maySee(req.principal, fax.authUser)) return reply.code(404).send({ error: `no fax ${id}` });
    if (!(await deps.blobs.exists(fax.messageKey))) return reply.code(409).send({ error: `the stored message of fax ${id} is gone (purged)` });
    let numbers = req.body?.numbers;
    if (!numbers?.length) {
      numbers = [];
      for (let i = 0; i < fax.recipientCount; i++) {
        const r = await deps.records.getRecipient(id, i);
        if (r) numbers.push(r.number);
      }
    }
    let recipients;
    try {
      // The message itself is not looked at again: only the numbers are checked.
      recipients = checkSubmission({ numbers, documents: [], message: 'stored message' }, deps);
    } catch (err) {
      if (err instanceof SubmissionError) return problem(reply, err);
      throw err;
    }
    return idempotent(req, reply, deps.idempotency, `resend:${id}:${recipients.map((r) => r.number).join(',')}`, async () => {
      await admitDestinations(recipients, fax.sender || fax.authUser || '', deps.destinations);
      const raw = await deps.blobs.get(fax.messageKey);
      const newId = await storeAndTakeIn(raw, { recipients, sender: fax.sender, authUser: fax.authUser, clientAddress: req.ip, senderTrust: fax.senderTrust ?? 'unverified' }, deps);
      await deps.records.event(id, 'resent', `as ${newId} by ${req.principal?.user}`).catch(() => {});
      await deps.records.event(newId, 'resend', `of ${id} by ${req.principal?.user}`).catch(() => {});
      req.log.info({ faxId: newId, of: id, by: req.principal?.user }, 'fax resent through the API');
      return queuedAnswer(newId, recipients);
    });
  });
}
