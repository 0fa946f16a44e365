// Polls `check` until it holds, or fails naming `what` after `timeoutMs`: for end-to-end tests whose
// outcome arrives over real sockets at a time no test can know.
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
