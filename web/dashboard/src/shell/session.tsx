// Who is signed in, for every page: the user (name and email from their token, for display only:
// nothing in the dashboard is keyed by email), the API client with their token, and sign-out.
import { createContext, type ComponentChildren } from "preact";
import { useContext, useMemo } from "preact/hooks";
import type { SignedIn } from "../../../common/sign_in";
import { apiFor, type Api } from "./api";

export interface Session {
  user: SignedIn;
  api: Api;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider(props: {
  user: SignedIn;
  onSignedOut: (reason: string | null) => void;
  children: ComponentChildren;
}) {
  const { user, onSignedOut } = props;
  const session = useMemo<Session>(() => {
    const expired = () => {
      void user.signOut();
      onSignedOut("Your sign-in has expired or was refused by the app: sign in again.");
    };
    return {
      user,
      api: apiFor(user, expired),
      signOut: () => {
        void user.signOut().finally(() => onSignedOut(null));
      },
    };
  }, [user, onSignedOut]);
  return <SessionContext.Provider value={session}>{props.children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession() outside <SessionProvider>");
  return session;
}

export function useApi(): Api {
  return useSession().api;
}
