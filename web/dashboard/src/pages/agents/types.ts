// Agents and their channel configs as /public/agents answers them (shared/agents/models.py), and the
// pieces an agent is assembled from, as far as this page needs them.
export interface ProviderSettings {
  instructions?: string | null;
  temperature?: number | null;
  maxOutputTokens?: number | null;
}

export interface Agent {
  id: string;
  companionId: string;
  name: string | null;
  voiceId: string;
  language: string | null;
  functions: string[];
  faqCollections: string[];
  knowledgeBaseId: string | null;
  providerSettings: ProviderSettings;
  greeting: string | null;
  created: number;
}

export type ChannelType = "webrtc" | "websocket" | "kiosk" | "sip" | "voip";
export const CHANNEL_TYPES: readonly ChannelType[] = ["webrtc", "websocket", "kiosk", "sip", "voip"];
export const CHANNEL_LABELS: Record<ChannelType, string> = {
  webrtc: "Web (WebRTC, the Web SDK's avatar)",
  websocket: "WebSocket (your own client)",
  kiosk: "Kiosk",
  sip: "SIP (phone)",
  voip: "VoIP (phone)",
};

export interface ChannelConfig {
  id: string;
  channelType: ChannelType;
  functions: string[] | null;
  faqCollections: string[] | null;
  knowledgeBaseId: string | null;
  providerSettings: ProviderSettings | null;
  videoPolicy: "required" | "deferred" | null;
  useGreenVideo: boolean | null;
  initialSpeech: string | null;
  url: string | null;
  created: number;
}

export interface Voice {
  id: string;
  name: string;
  provider: string;
  sampleUrl: string | null;
}

export interface Named {
  id: string;
  label: string;
  note?: string;
}
