import { Pipe, type PipeTransform } from '@angular/core';
import { bytes, dateTime, duration, relative } from '../core/format';

@Pipe({ name: 'bytes' })
export class BytesPipe implements PipeTransform {
  transform(n: number | null | undefined): string {
    return bytes(n);
  }
}

@Pipe({ name: 'duration' })
export class DurationPipe implements PipeTransform {
  transform(ms: number | null | undefined): string {
    return duration(ms);
  }
}

/** Impure on purpose: "2 minutes ago" moves on as the page re-renders. */
@Pipe({ name: 'relative', pure: false })
export class RelativePipe implements PipeTransform {
  transform(value: string | number | Date | null | undefined): string {
    return relative(value);
  }
}

@Pipe({ name: 'dateTime' })
export class DateTimePipe implements PipeTransform {
  transform(value: string | number | Date | null | undefined): string {
    return dateTime(value);
  }
}
