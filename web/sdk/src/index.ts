// Placeholder until the SDK lands (this session): proves the toolchain builds and the app serves it.
export async function init(token: string): Promise<{ token: string }> {
  return { token };
}
