/** One conversion in a fresh process, printing wall time and the process's peak RSS (workers included) as JSON. */
import { convertWeight } from '../../core/weights/convert';

const [source, quantization, output, threads] = process.argv.slice(2);
const t0 = process.hrtime.bigint();
convertWeight({ source, quantization, output, threads: threads ? Number(threads) : undefined })
  .then((s) => {
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(); // all threads of the process, workers included
    console.log(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMB: process.resourceUsage().maxRSS / 1024, sourceBytes: s.sourceBytes, outputBytes: s.outputBytes, shards: s.shardCount }));
  })
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
