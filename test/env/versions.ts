// Versions of everything the test environment runs, in one place so a bump is one edit.
// Each names its cache folder, so changing one rebuilds/refetches just that component.
// (The Kafka version must also be changed in test/env/kafka/pom.xml.)
export const KAFKA_VERSION = '3.9.1';
export const KUBERNETES_VERSION = 'v1.33.13';
export const ETCD_VERSION = 'v3.5.35';
export const HELM_VERSION = 'v3.22.0';
// The OpenTelemetry Collector the benchmarks compare with (bench/contenders/otelcol.ts): the core
// modules' two version lines of one release, and the contrib modules of that release.
export const OTELCOL_VERSION = 'v0.165.0';
export const OTELCOL_STABLE_VERSION = 'v1.71.0';
export const OTELCOL_CONTRIB_VERSION = 'v0.165.1';
