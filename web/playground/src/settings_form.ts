// The advanced settings: what the SDK's `features` take (the disclaimer, the inactivity timeout and its
// countdown) and the turn detection a set_settings command applies right after connecting. Prefilled
// from the chosen agent; checked here so a bad value is named beside its field before connecting.

import { byId, showError } from "./dom";
import type { Features } from "./sdk";

export interface TurnDetection {
  threshold: number;
  prefix_padding_ms: number;
  silence_duration_ms: number;
}

export interface AdvancedSettings {
  features: Features;
  turnDetection: TurnDetection;
}

/** The agent fields the form is prefilled from (GET /public/agents items). */
export interface AgentDefaults {
  disclaimer?: { enabled?: boolean; text?: string };
  inactivity?: { timeoutSeconds?: number; countdownSeconds?: number };
  disableIdleTimeout?: boolean;
  providerSettings?: { turnDetection?: Partial<TurnDetection> | null };
}

const DEFAULT_TURN_DETECTION: TurnDetection = { threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 };

const field = {
  disclaimerEnabled: () => byId<HTMLInputElement>("disclaimer-enabled"),
  disclaimerText: () => byId<HTMLInputElement>("disclaimer-text"),
  inactivityEnabled: () => byId<HTMLInputElement>("inactivity-enabled"),
  timeout: () => byId<HTMLInputElement>("inactivity-timeout"),
  countdown: () => byId<HTMLInputElement>("inactivity-countdown"),
  threshold: () => byId<HTMLInputElement>("vad-threshold"),
  prefix: () => byId<HTMLInputElement>("vad-prefix"),
  silence: () => byId<HTMLInputElement>("vad-silence"),
};

export function prefillFromAgent(agent: AgentDefaults): void {
  field.disclaimerEnabled().checked = agent.disclaimer?.enabled ?? true;
  field.disclaimerText().value = agent.disclaimer?.text ?? "This is an AI-generated avatar";
  field.inactivityEnabled().checked = !agent.disableIdleTimeout;
  field.timeout().value = String(agent.inactivity?.timeoutSeconds ?? 60);
  field.countdown().value = String(agent.inactivity?.countdownSeconds ?? 10);
  const turn = { ...DEFAULT_TURN_DETECTION, ...(agent.providerSettings?.turnDetection ?? {}) };
  field.threshold().value = String(turn.threshold);
  field.prefix().value = String(turn.prefix_padding_ms);
  field.silence().value = String(turn.silence_duration_ms);
}

/** The settings as entered, or null after naming the first bad field in the settings' error slot. */
export function readSettings(): AdvancedSettings | null {
  const slot = byId("settings-error");
  try {
    const timeoutSeconds = whole(field.timeout(), "Inactivity timeout", 10, 3600);
    const countdownSeconds = whole(field.countdown(), "Inactivity countdown", 0, 300);
    if (countdownSeconds >= timeoutSeconds) {
      throw new RangeError("Inactivity countdown must be shorter than the timeout.");
    }
    const text = field.disclaimerText().value.trim();
    if (field.disclaimerEnabled().checked && !text) throw new RangeError("Disclaimer text is empty.");
    const settings: AdvancedSettings = {
      features: {
        disclaimer: { enabled: field.disclaimerEnabled().checked, text: text || undefined },
        inactiveTimeout: { enabled: field.inactivityEnabled().checked, timeoutSeconds, countdownSeconds },
      },
      turnDetection: {
        threshold: number(field.threshold(), "Turn detection threshold", 0, 1),
        prefix_padding_ms: whole(field.prefix(), "Prefix padding", 0, 5000),
        silence_duration_ms: whole(field.silence(), "Silence duration", 0, 10000),
      },
    };
    showError(slot, null);
    return settings;
  } catch (invalid) {
    showError(slot, (invalid as Error).message);
    return null;
  }
}

function number(input: HTMLInputElement, name: string, low: number, high: number): number {
  const value = Number(input.value);
  if (input.value.trim() === "" || !Number.isFinite(value) || value < low || value > high) {
    input.setAttribute("aria-invalid", "true");
    throw new RangeError(`${name} must be a number from ${low} to ${high}.`);
  }
  input.removeAttribute("aria-invalid");
  return value;
}

function whole(input: HTMLInputElement, name: string, low: number, high: number): number {
  const value = number(input, name, low, high);
  if (!Number.isInteger(value)) {
    input.setAttribute("aria-invalid", "true");
    throw new RangeError(`${name} must be a whole number.`);
  }
  return value;
}
