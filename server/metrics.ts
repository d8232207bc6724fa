import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric the server exports at /metrics, in one registry owned by the composition root. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tandem_process_' });
  const registers = [registry];
  return {
    registry,
    // Also in the default metrics under prefixed names; one gauge read at scrape time names every
    // part, array buffers included (where socket buffers live), for memory per connection.
    memory: new Gauge({
      name: 'tandem_memory_bytes',
      help: 'Process memory at scrape time, by kind (rss, heap_used, heap_total, external, array_buffers)',
      labelNames: ['kind'] as const,
      registers,
      collect() {
        const usage = process.memoryUsage();
        this.set({ kind: 'rss' }, usage.rss);
        this.set({ kind: 'heap_used' }, usage.heapUsed);
        this.set({ kind: 'heap_total' }, usage.heapTotal);
        this.set({ kind: 'external' }, usage.external);
        this.set({ kind: 'array_buffers' }, usage.arrayBuffers);
      },
    }),
    connections: new Gauge({ name: 'tandem_connections', help: 'Open WebSocket connections', registers }),
    documents: new Gauge({ name: 'tandem_documents_loaded', help: 'Documents loaded in memory', registers }),
    connectionsRefused: new Counter({
      name: 'tandem_connections_refused_total',
      help: 'Connections refused, by close code',
      labelNames: ['code'] as const,
      registers,
    }),
    connectionsClosed: new Counter({
      name: 'tandem_connections_closed_by_server_total',
      help: 'Connections the server closed, by close code',
      labelNames: ['code'] as const,
      registers,
    }),
    updates: new Counter({ name: 'tandem_updates_total', help: 'Client updates committed and relayed', registers }),
    updateBytes: new Counter({ name: 'tandem_update_bytes_total', help: 'Bytes of client updates committed', registers }),
    updatesDropped: new Counter({
      name: 'tandem_updates_dropped_total',
      help: 'Updates not applied (or, for outside-comments, applied without what a comment-only key may not change), by reason (read-only, outside-comments, invalid, does-not-integrate)',
      labelNames: ['reason'] as const,
      registers,
    }),
    framesSent: new Counter({ name: 'tandem_frames_sent_total', help: 'Frames written to clients', registers }),
    socketWrites: new Counter({
      name: 'tandem_socket_writes_total',
      help: 'Socket writes to clients; frames_sent / socket_writes is how well sends are batched',
      registers,
    }),
    bytesSent: new Counter({ name: 'tandem_bytes_sent_total', help: 'Bytes written to clients', registers }),
    bytesReceived: new Counter({ name: 'tandem_bytes_received_total', help: 'Bytes received from clients', registers }),
    awarenessDropped: new Counter({
      name: 'tandem_awareness_entries_dropped_total',
      help: 'Awareness entries dropped as echoes or for client ids the connection does not own',
      registers,
    }),
    fanoutLatency: new Histogram({
      name: 'tandem_fanout_latency_seconds',
      help: 'From receiving an update to queuing it for every peer, commit included (queues are written at the end of the event-loop turn)',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    storageLatency: new Histogram({
      name: 'tandem_storage_commit_seconds',
      help: 'Time to commit one batch of updates',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    }),
    storageBatchSize: new Histogram({
      name: 'tandem_storage_batch_updates',
      help: 'Updates per committed batch (group commit)',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers,
    }),
    storageErrors: new Counter({ name: 'tandem_storage_errors_total', help: 'Failed storage operations', labelNames: ['op'] as const, registers }),
    compactions: new Counter({ name: 'tandem_compactions_total', help: 'Document logs folded into snapshots', registers }),
    documentLoads: new Counter({ name: 'tandem_document_loads_total', help: 'Documents loaded from storage into memory', registers }),
    foldRequests: new Counter({
      name: 'tandem_fold_requests_total',
      help: 'Work sent to the fold process, by kind: fold (a log sent along), read-and-fold (read from the SQLite file there), state-vector',
      labelNames: ['kind'] as const,
      registers,
    }),
    documentBuilds: new Counter({
      name: 'tandem_document_builds_total',
      help: "Loaded documents whose server copy was built on the event loop (only an edit, or a client holding changes, needs one)",
      registers,
    }),
    roomRebuilds: new Counter({
      name: 'tandem_document_rebuilds_total',
      help: 'Loaded documents rebuilt from storage because an update failed to integrate or handling a frame failed',
      registers,
    }),
    badStoredEntries: new Counter({
      name: 'tandem_stored_entries_skipped_total',
      help: 'Stored updates skipped on load because they do not integrate (written by an older version)',
      registers,
    }),
    busErrors: new Counter({ name: 'tandem_bus_errors_total', help: 'Failed bus operations', labelNames: ['op'] as const, registers }),
    catchUpFailures: new Counter({
      name: 'tandem_catch_up_failures_total',
      help: 'Failed attempts to reload a document after the bus lost messages (each is retried)',
      registers,
    }),
    staleDocuments: new Gauge({
      name: 'tandem_documents_stale',
      help: 'Loaded documents that may miss updates from other instances until a catch-up succeeds',
      registers,
    }),
    refusedBeforeUpgrade: new Counter({
      name: 'tandem_upgrades_refused_total',
      help: 'WebSocket upgrades refused before any key was checked, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    rateLimited: new Counter({ name: 'tandem_rate_limited_total', help: 'Requests refused by a rate limit, by what was limited', labelNames: ['what'] as const, registers }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
