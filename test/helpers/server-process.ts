// `kodverk serve` as its own process: the same helper the benchmarks use
export { spawnServer } from '../../bench/server-process';
export type { ServerProcess } from '../../bench/server-process';
