// Loaded into every gateway process of the soak run (NODE_OPTIONS=--require): every five seconds
// one line on stderr with the process's memory as V8 and Node account for it, so the soak can
// tell growth of the JavaScript heap from growth outside it. Soak only; the gateway never loads it.
const timer = setInterval(() => {
  const m = process.memoryUsage();
  process.stderr.write(
    `${JSON.stringify({ wardenSoakProbe: 'memory', pid: process.pid, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers })}\n`,
  );
}, 5000);
timer.unref();
