import { appBridge } from "./appBridge";

/** The app's `/graphql` answered with a status other than 200 (401: session not verified, …). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

interface GraphQLAnswer<T> {
  data?: T | null;
  errors?: { message: string }[];
  error?: string;
}

/**
 * POST a query to the app's own `/graphql` with the dashboard token of the current AppBridge
 * state (`authorization-bearer` + `saleor-api-url`, as app-sdk's createAuthenticatedFetch sets).
 */
export async function graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const { token, saleorApiUrl } = appBridge.getState();
  const response = await fetch(new URL("/graphql", window.location.origin), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "authorization-bearer": token ?? "",
      "saleor-api-url": saleorApiUrl,
    },
    body: JSON.stringify({ query, variables }),
  });
  let answer: GraphQLAnswer<T>;
  try {
    answer = (await response.json()) as GraphQLAnswer<T>;
  } catch {
    throw new ApiError(`The app answered ${response.status}.`, response.status);
  }
  if (!response.ok) {
    throw new ApiError(answer.error ?? `The app answered ${response.status}.`, response.status);
  }
  if (answer.errors?.length || !answer.data) {
    throw new ApiError(answer.errors?.map((e) => e.message).join("; ") ?? "No data.", 200);
  }
  return answer.data;
}
