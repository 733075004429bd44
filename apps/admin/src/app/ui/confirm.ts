import { ChangeDetectionStrategy, Component, type ElementRef, signal, viewChild } from '@angular/core';

/** A modal yes/no question on the native <dialog> (focus trap, Escape and backdrop for free). */
@Component({
  selector: 'fdt-confirm',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <dialog #dialog aria-labelledby="confirm-title" (close)="settle(dialog.returnValue === 'yes')">
      <form method="dialog">
        <h2 id="confirm-title">{{ title() }}</h2>
        <p>{{ body() }}</p>
        <div class="row">
          <span class="spacer"></span>
          <button value="no" type="submit" autofocus>Cancel</button>
          <button value="yes" type="submit" [class]="danger() ? 'danger' : 'primary'">{{ action() }}</button>
        </div>
      </form>
    </dialog>
  `,
})
export class Confirm {
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  protected readonly title = signal('');
  protected readonly body = signal('');
  protected readonly action = signal('Confirm');
  protected readonly danger = signal(false);
  private resolve?: (ok: boolean) => void;

  ask(opts: { title: string; body: string; action: string; danger?: boolean }): Promise<boolean> {
    this.title.set(opts.title);
    this.body.set(opts.body);
    this.action.set(opts.action);
    this.danger.set(!!opts.danger);
    this.resolve?.(false);
    const el = this.dialog().nativeElement;
    el.returnValue = '';
    el.showModal();
    return new Promise((r) => (this.resolve = r));
  }

  protected settle(ok: boolean): void {
    this.resolve?.(ok);
    this.resolve = undefined;
  }
}
