package io.llmgateway.support;

import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Declares gateway routes as test properties, the way a user declares them in YAML:
 * {@code Path=<prefix>/**}, {@code StripPrefix=1}, and {@code metadata.llm.provider=openai}
 * for an LLM route.
 */
public final class TestRoutes {

	private static final String ROUTES = "spring.cloud.gateway.server.webflux.routes";

	private final DynamicPropertyRegistry registry;

	private int index;

	private TestRoutes(DynamicPropertyRegistry registry) {
		this.registry = registry;
	}

	public static TestRoutes in(DynamicPropertyRegistry registry) {
		return new TestRoutes(registry);
	}

	/** An LLM route speaking the OpenAI API. */
	public TestRoutes llm(String id, String uri, String pathPrefix) {
		return add(id, uri, pathPrefix, true, null);
	}

	/** An LLM route with a response timeout (milliseconds) in its metadata. */
	public TestRoutes llm(String id, String uri, String pathPrefix, long responseTimeoutMillis) {
		return add(id, uri, pathPrefix, true, responseTimeoutMillis);
	}

	/** An LLM route with route filters of its own after {@code StripPrefix=1}. */
	public TestRoutes llmWithFilters(String id, String uri, String pathPrefix, String... filters) {
		int route = this.index;
		add(id, uri, pathPrefix, true, null);
		for (int i = 0; i < filters.length; i++) {
			String filter = filters[i];
			this.registry.add(ROUTES + "[" + route + "].filters[" + (i + 1) + "]", () -> filter);
		}
		return this;
	}

	/** A route without LLM metadata, proxied untouched. */
	public TestRoutes plain(String id, String uri, String pathPrefix) {
		return add(id, uri, pathPrefix, false, null);
	}

	/** A route without LLM metadata, with a response timeout (milliseconds) in its metadata. */
	public TestRoutes plain(String id, String uri, String pathPrefix, long responseTimeoutMillis) {
		return add(id, uri, pathPrefix, false, responseTimeoutMillis);
	}

	private TestRoutes add(String id, String uri, String pathPrefix, boolean llm, Long responseTimeoutMillis) {
		String key = ROUTES + "[" + this.index++ + "]";
		this.registry.add(key + ".id", () -> id);
		this.registry.add(key + ".uri", () -> uri);
		this.registry.add(key + ".predicates[0]", () -> "Path=" + pathPrefix + "/**");
		this.registry.add(key + ".filters[0]", () -> "StripPrefix=1");
		if (llm) {
			this.registry.add(key + ".metadata.llm.provider", () -> "openai");
		}
		if (responseTimeoutMillis != null) {
			this.registry.add(key + ".metadata.response-timeout", () -> responseTimeoutMillis);
		}
		return this;
	}

}
