// Entra ID sign-in with MSAL for the browser (loaded only when the deployment signs in with Entra).
// MSAL v5 returns to a redirect bridge page that hands the answer back to the page that asked, for the
// popup and for the redirect flow alike; its cache is sessionStorage, never localStorage. The one bridge
// is the Playground's /playground/redirect.html (web/playground/src/redirect.ts): the app registration
// has a single redirect URI, which the dashboard uses too.

import {
  InteractionRequiredAuthError,
  PublicClientApplication,
  type AccountInfo,
  type IPublicClientApplication,
} from "@azure/msal-browser";
import type { EntraConfig, SignedIn } from "./sign_in";

const REDIRECT_PAGE = "/playground/redirect.html";

export interface EntraPages {
  /** Where a signed-out user lands: the page's own path ("/playground", "/dashboard"). */
  signedOut: string;
}

export class EntraSignIn {
  private constructor(
    private readonly client: IPublicClientApplication,
    private readonly config: EntraConfig,
  ) {}

  static async create(config: EntraConfig, pages: EntraPages): Promise<EntraSignIn> {
    const authorityHost = new URL(config.authority).host;
    const client = new PublicClientApplication({
      auth: {
        clientId: config.clientId,
        authority: config.authority,
        // Entra's own hosts are known to MSAL; another OpenID issuer must be named to be trusted.
        knownAuthorities: authorityHost.endsWith("login.microsoftonline.com") ? [] : [authorityHost],
        redirectUri: new URL(REDIRECT_PAGE, location.origin).href,
        postLogoutRedirectUri: new URL(pages.signedOut, location.origin).href,
      },
      cache: { cacheLocation: "sessionStorage" },
    });
    await client.initialize();
    const returned = await client.handleRedirectPromise(); // back from loginRedirect
    if (returned?.account) client.setActiveAccount(returned.account);
    return new EntraSignIn(client, config);
  }

  /** The account this tab signed in with earlier (MSAL's sessionStorage cache), if any. */
  current(): SignedIn | null {
    const account = this.client.getActiveAccount() ?? this.client.getAllAccounts()[0] ?? null;
    return account ? this.signedIn(account) : null;
  }

  async popup(): Promise<SignedIn> {
    const result = await this.client.loginPopup({ scopes: this.config.scopes });
    this.client.setActiveAccount(result.account);
    return this.signedIn(result.account);
  }

  /** Leaves the page; it comes back signed in (create() picks the answer up). */
  async redirect(): Promise<void> {
    await this.client.loginRedirect({ scopes: this.config.scopes });
  }

  private signedIn(account: AccountInfo): SignedIn {
    const scopes = this.config.scopes;
    return {
      mode: "entra",
      email: account.username,
      name: account.name ?? account.username,
      accessToken: async () => {
        try {
          return (await this.client.acquireTokenSilent({ scopes, account })).accessToken;
        } catch (failure) {
          if (!(failure instanceof InteractionRequiredAuthError)) throw failure;
          return (await this.client.acquireTokenPopup({ scopes, account })).accessToken;
        }
      },
      signOut: async () => {
        await this.client.logoutPopup({ account });
      },
    };
  }
}
