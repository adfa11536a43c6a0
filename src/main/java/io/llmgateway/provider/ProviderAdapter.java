package io.llmgateway.provider;

import org.springframework.http.HttpMethod;

/**
 * Knows one LLM API: turns its request and response bytes into facts. Adapters know nothing of
 * Micrometer or of the gateway's filters, and never throw on bad input: what cannot be read
 * becomes a fact ({@link LlmRequest#decoded()}, {@link LlmResponse#errorType(String)}).
 */
public interface ProviderAdapter {

	/** The id routes name in their {@code llm.provider} metadata, e.g. {@code openai}. */
	String id();

	/** The {@code gen_ai.provider.name} to report unless the route names another. */
	String providerName();

	/**
	 * The operation a request performs, or {@code null} when it is no LLM call (e.g. a model
	 * listing); such requests are proxied untouched and not counted.
	 */
	Operation operation(HttpMethod method, String path);

	/** Reads the request body. */
	LlmRequest readRequest(Operation operation, byte[] body);

	/**
	 * The body to send upstream so that a streamed response carries usage, or {@code null} when
	 * this API has no such switch or the request already asks for usage.
	 */
	byte[] withStreamUsage(LlmRequest request, byte[] body);

	/**
	 * A handler for the frames of a streamed response.
	 * @param usageInjected whether the gateway asked for usage the client did not ask for; the
	 * handler then keeps the usage-only frame from the client
	 */
	StreamHandler streamHandler(LlmRequest request, LlmResponse response, boolean usageInjected);

	/** Reads a whole (non-streamed) response body. */
	void readResponse(LlmRequest request, byte[] body, int length, int status, LlmResponse response);

}
