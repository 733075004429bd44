import { ChangeDetectionStrategy, Component, inject, input, output, signal } from '@angular/core';
import { Announcer } from '../../core/announcer';
import { errorMessage, toApiError, unwrap } from '../../core/problem';
import { Session } from '../../core/session';

/**
 * The org's own certificate for an `uploaded` domain: PEM chain and key, pasted or read from
 * files, sent to PUT /api/v1/domains/:id/certificate. The api validates (hostname, key pair,
 * expiry); its code and reason are shown as they come.
 */
@Component({
  selector: 'fdt-certificate-upload',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <form class="stack" (submit)="$event.preventDefault(); upload()" data-testid="certificate-upload">
      <div class="field">
        <label for="cert-pem">Certificate chain (PEM)</label>
        <textarea
          id="cert-pem"
          rows="5"
          spellcheck="false"
          placeholder="-----BEGIN CERTIFICATE-----"
          [value]="certPem()"
          (input)="certPem.set($any($event.target).value)"
          [disabled]="disabled()"
          [attr.aria-invalid]="!!error()"
        ></textarea>
        <label for="cert-file" class="small">or read it from a file</label>
        <input
          id="cert-file"
          type="file"
          accept=".pem,.crt,.cer,text/plain"
          (change)="read($event, 'cert')"
          [disabled]="disabled()"
        />
      </div>
      <div class="field">
        <label for="key-pem">Private key (PEM)</label>
        <textarea
          id="key-pem"
          rows="5"
          spellcheck="false"
          placeholder="-----BEGIN PRIVATE KEY-----"
          [value]="keyPem()"
          (input)="keyPem.set($any($event.target).value)"
          [disabled]="disabled()"
          [attr.aria-invalid]="!!error()"
          aria-describedby="key-pem-hint"
        ></textarea>
        <div class="hint" id="key-pem-hint">Stored encrypted; never shown again.</div>
        <label for="key-file" class="small">or read it from a file</label>
        <input
          id="key-file"
          type="file"
          accept=".pem,.key,text/plain"
          (change)="read($event, 'key')"
          [disabled]="disabled()"
        />
      </div>
      <div class="row">
        <button type="submit" class="primary" [disabled]="disabled() || busy()">Upload certificate</button>
      </div>
      @if (error(); as e) {
        <div class="banner error" role="alert" data-testid="upload-error">{{ e }}</div>
      }
    </form>
  `,
})
export class CertificateUpload {
  private readonly session = inject(Session);
  private readonly announcer = inject(Announcer);
  readonly domainId = input.required<string>();
  readonly hostname = input.required<string>();
  readonly disabled = input(false);
  readonly uploaded = output<void>();

  protected readonly certPem = signal('');
  protected readonly keyPem = signal('');
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);

  protected async read(event: Event, which: 'cert' | 'key'): Promise<void> {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (!file) return;
    // PEM files are a few kB; anything far larger is not one.
    if (file.size > 64 * 1024) {
      this.error.set(`${file.name} is too large for a PEM file.`);
      return;
    }
    (which === 'cert' ? this.certPem : this.keyPem).set(await file.text());
  }

  protected async upload(): Promise<void> {
    this.error.set(null);
    const certPem = this.certPem().trim();
    const keyPem = this.keyPem().trim();
    if (!certPem || !keyPem) {
      this.error.set('Paste or choose both the certificate chain and its private key.');
      return;
    }
    this.busy.set(true);
    try {
      await unwrap(
        this.session.api.PUT('/api/v1/domains/{id}/certificate', {
          params: { path: { id: this.domainId() } },
          body: { certPem, keyPem },
        }),
      );
      this.certPem.set('');
      this.keyPem.set('');
      this.announcer.say(
        `Certificate for ${this.hostname()} uploaded. Relays serve it from the next connection.`,
      );
      this.uploaded.emit();
    } catch (e) {
      const err = toApiError(e);
      this.error.set(err.status ? `${errorMessage(err)} (${err.code})` : errorMessage(err));
    } finally {
      this.busy.set(false);
    }
  }
}
