/**
 * Refreshing a panel while, and only while, someone can see it.
 *
 * A {@link Poll} ticks every `interval` seconds but stands by (no request) while the
 * widget is hidden (another sidebar panel is open, the sidebar is collapsed) or the
 * browser tab is in the background; showing the panel refreshes it at once.
 */
import { IPoll, Poll } from '@lumino/polling';
import { Widget } from '@lumino/widgets';

export class VisiblePoll {
  private readonly poll: Poll;

  constructor(
    private readonly widget: Widget,
    refresh: () => Promise<void>,
    intervalSeconds: number
  ) {
    this.poll = new Poll({
      auto: false,
      factory: () => refresh(),
      frequency: VisiblePoll.frequency(intervalSeconds),
      name: `karvdash:${widget.id}`,
      standby: () => this.hidden
    });
  }

  private static frequency(seconds: number): IPoll.Frequency {
    const interval = Math.max(1, seconds) * 1000;
    return { interval, backoff: true, max: Math.max(interval * 6, 60_000) };
  }

  /** Hidden: no request is made. */
  get hidden(): boolean {
    return (
      !this.widget.isVisible || (typeof document !== 'undefined' && document.hidden)
    );
  }

  set interval(seconds: number) {
    this.poll.frequency = VisiblePoll.frequency(seconds);
  }

  /** Start ticking (the first tick comes when the widget is first shown). */
  start(): void {
    void this.poll.start();
  }

  /** Refresh now (when the widget is shown, or on request). */
  refresh(): void {
    if (!this.hidden) {
      void this.poll.refresh();
    }
  }

  dispose(): void {
    this.poll.dispose();
  }
}
