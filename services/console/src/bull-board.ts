import type { FastifyInstance } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';

/** Bull Board for every queue at /queues (the caller puts it behind auth). */
export async function registerBullBoard(app: FastifyInstance, queues: Queue[]) {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/queues');
  const board = createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter, options: { uiConfig: { boardTitle: 'faxgate' } } });
  await app.register(serverAdapter.registerPlugin(), { prefix: '/queues' });
  return board;
}
