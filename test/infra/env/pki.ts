import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Key pairs and certificates made with the openssl CLI, as a cluster bootstrapper would. */
export interface CertPaths {
  cert: string;
  key: string;
}

const openssl = (args: string[], cwd: string): void => {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
};

export class Pki {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private p(name: string): string {
    return path.join(this.dir, name);
  }

  key(name: string): string {
    const key = this.p(`${name}.key`);
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], this.dir);
    return key;
  }

  /** A self-signed certificate authority. */
  ca(name: string, cn: string): CertPaths {
    const key = this.key(name);
    const cert = this.p(`${name}.crt`);
    openssl(
      [
        'req',
        '-x509',
        '-new',
        '-key',
        key,
        '-subj',
        `/CN=${cn}`,
        '-days',
        '2',
        '-out',
        cert,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
      ],
      this.dir,
    );
    return { cert, key };
  }

  /** A leaf certificate signed by `ca`; `orgs` become O= (Kubernetes groups), `hosts` SANs. */
  issue(
    ca: CertPaths,
    name: string,
    opts: { cn: string; orgs?: string[]; hosts?: string[]; usage: 'server' | 'client' | 'both' },
  ): CertPaths {
    const key = this.key(name);
    const csr = this.p(`${name}.csr`);
    const cert = this.p(`${name}.crt`);
    const subj = [...(opts.orgs ?? []).map((o) => `/O=${o}`), `/CN=${opts.cn}`].join('');
    openssl(['req', '-new', '-key', key, '-subj', subj, '-out', csr], this.dir);
    const eku = { server: 'serverAuth', client: 'clientAuth', both: 'serverAuth,clientAuth' }[opts.usage];
    const sans = (opts.hosts ?? []).map((h) => (/^[\d.]+$/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
    const ext = this.p(`${name}.ext`);
    writeFileSync(
      ext,
      [
        `basicConstraints=CA:FALSE`,
        `keyUsage=critical,digitalSignature,keyEncipherment`,
        `extendedKeyUsage=${eku}`,
        ...(sans === '' ? [] : [`subjectAltName=${sans}`]),
      ].join('\n'),
    );
    openssl(
      ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', cert],
      this.dir,
    );
    return { cert, key };
  }

  /** The public half of a key, for the service-account token verifier. */
  publicKey(key: string): string {
    const pub = key.replace(/\.key$/, '.pub');
    openssl(['pkey', '-in', key, '-pubout', '-out', pub], this.dir);
    return pub;
  }

  static base64(file: string): string {
    return readFileSync(file).toString('base64');
  }
}
