// The SDK's DOM: a root element in the mount container holding the avatar and what is shown over it
// (the disclaimer, the inactivity countdown, the connection status, the ended state). One small style
// sheet is injected once per page; every class name is prefixed `omniagent-` so a host page's styles
// and ours stay apart.
const STYLE_ID = "omniagent-sdk-style";
let styleUsers = 0;

const CSS = `
.omniagent-root{position:relative;width:100%;height:100%;min-width:160px;min-height:160px;overflow:hidden;
  font:14px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#fff;box-sizing:border-box}
.omniagent-root.omniagent-floating{position:fixed;right:24px;bottom:24px;width:280px;height:280px;z-index:2147483000}
.omniagent-root.omniagent-view-rectangle{border-radius:12px;background:#1f2530}
.omniagent-root.omniagent-view-round,.omniagent-root.omniagent-view-silhouette{background:transparent}
.omniagent-canvas,.omniagent-video{position:absolute;inset:0;width:100%;height:100%;display:block}
.omniagent-video{object-fit:cover}
.omniagent-view-round .omniagent-video{border-radius:50%}
.omniagent-disclaimer{position:absolute;left:50%;bottom:8px;transform:translateX(-50%);max-width:90%;
  padding:3px 10px;border-radius:999px;background:rgba(15,18,24,.72);font-size:12px;white-space:nowrap;
  overflow:hidden;text-overflow:ellipsis;pointer-events:none}
.omniagent-countdown,.omniagent-ended,.omniagent-status{position:absolute;left:50%;top:50%;
  transform:translate(-50%,-50%);padding:10px 16px;border-radius:10px;background:rgba(15,18,24,.82);
  text-align:center;pointer-events:none}
.omniagent-countdown-seconds{display:block;font-size:28px;font-weight:700;font-variant-numeric:tabular-nums}
.omniagent-status{top:12px;transform:translateX(-50%);font-size:12px;padding:4px 10px}
.omniagent-hidden{display:none!important}
`;

function injectStyle(): void {
  styleUsers += 1;
  if (document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  document.head.appendChild(style);
}

function releaseStyle(): void {
  styleUsers = Math.max(0, styleUsers - 1);
  if (styleUsers === 0) document.getElementById(STYLE_ID)?.remove();
}

function element(className: string, parent: HTMLElement, text = ""): HTMLDivElement {
  const div = document.createElement("div");
  div.className = className;
  if (text) div.textContent = text;
  parent.appendChild(div);
  return div;
}

export function resolveContainer(mount: HTMLElement | string | undefined): { container: HTMLElement; floating: boolean } {
  if (typeof mount === "string") {
    const found = document.querySelector<HTMLElement>(mount);
    if (!found) throw new Error(`Omniagent: no element matches mountContainer "${mount}".`);
    return { container: found, floating: false };
  }
  if (mount instanceof HTMLElement) return { container: mount, floating: false };
  return { container: document.body, floating: true };
}

export class Overlay {
  readonly root: HTMLDivElement;
  private readonly disclaimer: HTMLDivElement;
  private readonly countdown: HTMLDivElement;
  private readonly countdownSeconds: HTMLSpanElement;
  private readonly status: HTMLDivElement;
  private readonly ended: HTMLDivElement;
  private countdownTimer: number | undefined;

  constructor(container: HTMLElement, floating: boolean, view: string, className: string | undefined) {
    injectStyle();
    this.root = document.createElement("div");
    this.root.className = ["omniagent-root", `omniagent-view-${view}`, floating ? "omniagent-floating" : "", className ?? ""]
      .filter(Boolean)
      .join(" ");
    this.root.setAttribute("role", "region");
    this.root.setAttribute("aria-label", "AI agent");
    container.appendChild(this.root);
    this.disclaimer = element("omniagent-disclaimer omniagent-hidden", this.root);
    this.countdown = element("omniagent-countdown omniagent-hidden", this.root, "Still there? The session ends in");
    this.countdown.setAttribute("role", "timer");
    this.countdownSeconds = document.createElement("span");
    this.countdownSeconds.className = "omniagent-countdown-seconds";
    this.countdown.appendChild(this.countdownSeconds);
    this.status = element("omniagent-status omniagent-hidden", this.root);
    this.status.setAttribute("aria-live", "polite");
    this.ended = element("omniagent-ended omniagent-hidden", this.root, "Session ended");
  }

  /** The avatar's element goes under the overlays. */
  setStage(stage: HTMLElement): void {
    this.root.insertBefore(stage, this.root.firstChild);
  }

  showDisclaimer(text: string): void {
    this.disclaimer.textContent = text;
    this.disclaimer.classList.remove("omniagent-hidden");
  }

  startCountdown(seconds: number): void {
    window.clearInterval(this.countdownTimer);
    let remaining = Math.max(0, Math.round(seconds));
    const show = () => (this.countdownSeconds.textContent = `${remaining}s`);
    show();
    this.countdown.classList.remove("omniagent-hidden");
    this.countdownTimer = window.setInterval(() => {
      remaining = Math.max(0, remaining - 1);
      show();
    }, 1000);
  }

  hideCountdown(): void {
    window.clearInterval(this.countdownTimer);
    this.countdown.classList.add("omniagent-hidden");
  }

  showStatus(text: string | null): void {
    this.status.textContent = text ?? "";
    this.status.classList.toggle("omniagent-hidden", !text);
  }

  showEnded(text = "Session ended"): void {
    this.hideCountdown();
    this.showStatus(null);
    this.ended.textContent = text;
    this.ended.classList.remove("omniagent-hidden");
    this.root.classList.add("omniagent-session-ended");
  }

  remove(): void {
    window.clearInterval(this.countdownTimer);
    this.root.remove();
    releaseStyle();
  }
}
