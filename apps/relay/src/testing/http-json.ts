// Small helpers of the tests that drive the real api from outside (billing at the edge).

/** A JSON request; answers the status and the parsed body ({} when empty). */
export async function json(
  url: string,
  method: string,
  body?: unknown,
  bearer?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
