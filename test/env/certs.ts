// The PKI of the test cluster, made fresh for every environment with the machine's openssl
// (node:crypto makes keys but cannot issue X.509 certificates):
//  - a CA that signs the apiserver's serving certificate and the admin's client certificate and
//    is the apiserver's --client-ca-file, so the kubeconfig verifies the server properly;
//  - the admin client certificate in group system:masters (full access under RBAC);
//  - the node's kubelet (system:node:<name>, authorized by the Node authorizer) and kube-proxy
//    (system:kube-proxy, bound to system:node-proxier by the apiserver's default RBAC);
//  - the service-account signing key pair (TokenRequest API, SA token authentication).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { run } from './process.ts';
import { logFile } from './paths.ts';

export interface ClusterPki {
  caCert: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  nodeCert: string;
  nodeKey: string;
  proxyCert: string;
  proxyKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('certificates', 'openssl', args, { cwd, log: logFile('certificates') });
}

/** A CA (`ca.crt`, `ca.key`) in a fresh private directory. */
async function makeCa(dir: string, commonName: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-sha256', '-subj', `/CN=${commonName}`], dir);
}

/** `<name>.crt`/`.key` signed by the directory's CA, for a server (with these SANs) or a client. */
async function issue(dir: string, name: string, subject: string, use: { serverSans: string } | 'client'): Promise<void> {
  const extensions = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    ...(use === 'client' ? ['extendedKeyUsage=clientAuth'] : ['extendedKeyUsage=serverAuth', `subjectAltName=${use.serverSans}`]),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
  await openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
  await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
}

/** The addresses the apiserver is reached at: this machine, the node's link, the `kubernetes` Service. */
export interface ApiserverAddresses {
  ips: readonly string[];
  nodeName: string;
}

export async function makeClusterPki(dir: string, addresses: ApiserverAddresses): Promise<ClusterPki> {
  await makeCa(dir, 'logshipper-testenv-ca');
  const sans = [...addresses.ips.map((ip) => `IP:${ip}`), 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local'];
  await issue(dir, 'apiserver', '/CN=kube-apiserver', { serverSans: sans.join(',') });
  await issue(dir, 'admin', '/O=system:masters/CN=logshipper-testenv-admin', 'client');
  await issue(dir, 'node', `/O=system:nodes/CN=system:node:${addresses.nodeName}`, 'client');
  await issue(dir, 'kube-proxy', '/CN=system:kube-proxy', 'client');
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  fs.writeFileSync(path.join(dir, 'service-account.key'), privateKey, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'service-account.pub'), publicKey);
  const p = (f: string): string => path.join(dir, f);
  return {
    caCert: p('ca.crt'),
    servingCert: p('apiserver.crt'),
    servingKey: p('apiserver.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    nodeCert: p('node.crt'),
    nodeKey: p('node.key'),
    proxyCert: p('kube-proxy.crt'),
    proxyKey: p('kube-proxy.key'),
    serviceAccountKey: p('service-account.key'),
    serviceAccountPub: p('service-account.pub'),
  };
}

/** TLS material for Kafka's SSL listener: a CA, the broker's certificate, a client certificate (mutual TLS). */
export interface KafkaPki {
  caCert: string;
  /** PEM keystore for the broker: its private key and certificate in one file. */
  brokerKeystore: string;
  clientCert: string;
  clientKey: string;
}

export async function makeKafkaPki(dir: string): Promise<KafkaPki> {
  await makeCa(dir, 'logshipper-testenv-kafka-ca');
  await issue(dir, 'broker', '/CN=kafka-broker', { serverSans: 'IP:127.0.0.1,DNS:localhost' });
  await issue(dir, 'client', '/CN=logshipper-agent', 'client');
  const p = (f: string): string => path.join(dir, f);
  // Kafka's PEM keystore: an unencrypted PKCS#8 key followed by the certificate.
  fs.writeFileSync(p('broker-keystore.pem'), fs.readFileSync(p('broker.key'), 'utf8') + fs.readFileSync(p('broker.crt'), 'utf8'), { mode: 0o600 });
  return { caCert: p('ca.crt'), brokerKeystore: p('broker-keystore.pem'), clientCert: p('client.crt'), clientKey: p('client.key') };
}
