import {
  ChangeDetectionStrategy,
  Component,
  computed,
  DestroyRef,
  inject,
  resource,
  signal,
  viewChild,
} from '@angular/core';
import type { Schemas } from '@fdt/api-client';
import { Announcer } from '../../core/announcer';
import { needs, P } from '../../core/permissions';
import { errorMessage, toApiError, unwrap } from '../../core/problem';
import { Session } from '../../core/session';
import { Confirm } from '../../ui/confirm';
import { DateTimePipe } from '../../ui/pipes';
import { Empty, ErrorBanner, Loading, Reason } from '../../ui/states';
import { CertificateUpload } from './certificate-upload';
import { CopyButton } from './copy-button';

type Domain = Schemas['CustomDomainDetailDto'];
type TlsMode = Domain['tlsMode'];

/** How often the page looks again while a certificate or a background re-check is under way. */
const POLL_MS = 15_000;
const CERT_IN_FLIGHT = new Set(['pending', 'issuing', 'renewing']);

const STATUS_LABEL: Record<Domain['status'], string> = {
  pending_verification: 'Pending verification',
  verified: 'Verified',
  failed: 'Failed',
};
const STATUS_BADGE: Record<Domain['status'], string> = {
  pending_verification: 'warn',
  verified: 'ok',
  failed: 'danger',
};
const CERT_BADGE: Record<Domain['certificate']['status'], string> = {
  none: '',
  pending: 'warn',
  issuing: 'warn',
  active: 'ok',
  renewing: 'ok',
  failed: 'danger',
};

@Component({
  selector: 'fdt-domains-page',
  imports: [CertificateUpload, Confirm, CopyButton, DateTimePipe, Empty, ErrorBanner, Loading, Reason],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './domains.page.html',
  styles: `
    .facts {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 0.25rem 1rem;
      margin: 0;
    }
    .facts dt {
      color: var(--muted);
    }
    .facts dd {
      margin: 0;
    }
    tr.selected td {
      background: var(--accent-soft);
    }
  `,
})
export class DomainsPage {
  private readonly session = inject(Session);
  private readonly announcer = inject(Announcer);
  private readonly confirm = viewChild.required(Confirm);

  protected readonly statusLabel = STATUS_LABEL;
  protected readonly statusBadge = STATUS_BADGE;
  protected readonly certBadge = CERT_BADGE;
  protected readonly canManage = computed(() => this.session.can(P.DomainsManage));
  protected readonly reason = computed(() => (this.canManage() ? null : needs(P.DomainsManage)));

  // The list carries each domain's certificate state: one request, however many domains.
  protected readonly domains = resource({
    loader: async () => (await unwrap(this.session.api.GET('/api/v1/domains'))).items,
  });
  protected readonly reservedNames = resource({
    loader: () => unwrap(this.session.api.GET('/api/v1/reserved-names')),
  });

  /** Something the worker moves on by itself: a certificate on its way, a scheduled re-check. */
  private readonly inFlight = computed(
    () =>
      this.domains
        .value()
        ?.some(
          (d) =>
            CERT_IN_FLIGHT.has(d.certificate.status) ||
            (d.status !== 'verified' && d.verification.nextCheckAt !== null),
        ) ?? false,
  );

  protected readonly selectedId = signal<string | null>(null);
  protected readonly selected = computed<Domain | null>(
    () => this.domains.value()?.find((d) => d.id === this.selectedId()) ?? null,
  );

  protected readonly hostname = signal('');
  protected readonly newTlsMode = signal<TlsMode>('terminate');
  protected readonly newCertificate = signal<'managed' | 'uploaded'>('managed');
  protected readonly addError = signal<string | null>(null);
  protected readonly actionError = signal<string | null>(null);
  protected readonly verifyError = signal<{ code: string; message: string } | null>(null);
  protected readonly busy = signal<string | null>(null);

  // The settings form of the selected domain, reset whenever another one is selected.
  protected readonly editTlsMode = signal<TlsMode>('terminate');
  protected readonly editBoundName = signal('');

  constructor() {
    // Issuance and re-checks finish in the worker; without this the page would show "issuing"
    // until a manual refresh. A hidden tab does not poll.
    const timer = setInterval(() => {
      if (this.inFlight() && !document.hidden && !this.domains.isLoading()) this.domains.reload();
    }, POLL_MS);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }

  protected select(d: Domain): void {
    this.selectedId.set(d.id);
    this.editTlsMode.set(d.tlsMode);
    this.editBoundName.set(d.boundName ?? '');
    this.verifyError.set(null);
    this.actionError.set(null);
  }

  protected async add(): Promise<void> {
    this.addError.set(null);
    const hostname = this.hostname().trim().toLowerCase().replace(/\.$/, '');
    if (!/^(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(hostname)) {
      this.addError.set(
        'Enter a host name such as app.customer.com, or a wildcard such as *.apps.customer.com.',
      );
      document.getElementById('dom-host')?.focus();
      return;
    }
    this.busy.set('add');
    try {
      const d = await unwrap(
        this.session.api.POST('/api/v1/domains', {
          body: { hostname, tlsMode: this.newTlsMode(), certificate: this.newCertificate() },
        }),
      );
      this.hostname.set('');
      this.selectedId.set(d.id);
      this.editTlsMode.set(d.tlsMode);
      this.editBoundName.set(d.boundName ?? '');
      this.verifyError.set(null);
      this.domains.reload();
      this.announcer.say(`${d.hostname} added. Create its DNS records, then verify.`);
    } catch (e) {
      this.addError.set(errorMessage(e));
    } finally {
      this.busy.set(null);
    }
  }

  protected async verify(d: Domain): Promise<void> {
    this.verifyError.set(null);
    this.busy.set('verify');
    try {
      const r = await unwrap(
        this.session.api.POST('/api/v1/domains/{id}/verify', { params: { path: { id: d.id } } }),
      );
      this.announcer.say(`${r.hostname} is ${STATUS_LABEL[r.status].toLowerCase()}.`);
    } catch (e) {
      const err = toApiError(e);
      this.verifyError.set({ code: err.code, message: err.message });
    } finally {
      this.busy.set(null);
      this.domains.reload();
    }
  }

  /**
   * A managed certificate that failed (docs/errors.md lists why): once the cause is fixed, the
   * verify route of a verified domain orders it again (audited domain.certificate_requested).
   */
  protected async requestCertificate(d: Domain): Promise<void> {
    this.actionError.set(null);
    this.busy.set('certificate');
    try {
      await unwrap(
        this.session.api.POST('/api/v1/domains/{id}/verify', { params: { path: { id: d.id } } }),
      );
      this.announcer.say(`A certificate for ${d.hostname} was requested again.`);
    } catch (e) {
      this.actionError.set(errorMessage(e));
    } finally {
      this.busy.set(null);
      this.domains.reload();
    }
  }

  protected async save(d: Domain): Promise<void> {
    this.actionError.set(null);
    const boundName = this.editBoundName() || null;
    const body: { tlsMode?: TlsMode; boundName?: string | null } = {};
    if (this.editTlsMode() !== d.tlsMode) body.tlsMode = this.editTlsMode();
    if (boundName !== d.boundName) body.boundName = boundName;
    if (!Object.keys(body).length) return;
    this.busy.set('save');
    try {
      await unwrap(this.session.api.PATCH('/api/v1/domains/{id}', { params: { path: { id: d.id } }, body }));
      this.domains.reload();
      this.announcer.say(`${d.hostname} saved. Agents pick the change up with their next session.`);
    } catch (e) {
      this.actionError.set(errorMessage(e));
    } finally {
      this.busy.set(null);
    }
  }

  protected async remove(d: Domain): Promise<void> {
    const ok = await this.confirm().ask({
      title: `Remove ${d.hostname}?`,
      body:
        'Its certificate is revoked (when managed) and forgotten, and agents can no longer serve it. ' +
        'Another org could then add the name.',
      action: 'Remove',
      danger: true,
    });
    if (!ok) return;
    this.actionError.set(null);
    try {
      await unwrap(this.session.api.DELETE('/api/v1/domains/{id}', { params: { path: { id: d.id } } }));
      this.selectedId.set(null);
      this.domains.reload();
      this.announcer.say(`${d.hostname} removed.`);
    } catch (e) {
      this.actionError.set(errorMessage(e));
    }
  }
}
