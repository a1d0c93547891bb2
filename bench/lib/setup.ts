// What both benchmark scripts need before they measure: the contenders asked for, and a broker.

/** The entries of `list` named in the comma-separated `names`, in that order. */
export function chooseByName<T extends { name: string }>(list: readonly T[], names: string): T[] {
  return names.split(',').map((name) => {
    const found = list.find((entry) => entry.name === name);
    if (found === undefined) throw new Error(`unknown contender ${name}: choose from ${list.map((entry) => entry.name).join(', ')}`);
    return found;
  });
}

/** KAFKA_BROKERS, or the test environment's Kafka (started, or reused when it is up). */
export async function kafkaBrokers(): Promise<string> {
  if (process.env['KAFKA_BROKERS'] === undefined) {
    const { up } = await import('../../test/env/up.ts');
    Object.assign(process.env, await up());
  }
  return process.env['KAFKA_BROKERS'] ?? '';
}
