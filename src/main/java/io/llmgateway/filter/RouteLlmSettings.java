package io.llmgateway.filter;

import java.util.Map;

import org.springframework.cloud.gateway.route.Route;

/**
 * The LLM settings a route carries in its metadata, either nested
 * ({@code metadata: {llm: {provider: openai}}}, what YAML binds to) or flat
 * ({@code llm.provider}, what the Java route DSL produces).
 *
 * @param provider id of the adapter that speaks the route's API
 * @param providerName {@code gen_ai.provider.name} to report instead of the adapter's, or {@code null}
 * @param injectStreamUsage whether usage may be requested for streams on this route, or {@code null}
 * for the global setting
 */
record RouteLlmSettings(String provider, String providerName, Boolean injectStreamUsage) {

	/** The route's settings, or {@code null} when the route is no LLM route. */
	static RouteLlmSettings of(Route route) {
		Map<String, Object> metadata = route.getMetadata();
		Object provider = value(metadata, "provider");
		if (provider == null) {
			return null;
		}
		Object providerName = value(metadata, "provider-name");
		Object inject = value(metadata, "inject-stream-usage");
		return new RouteLlmSettings(provider.toString(), (providerName != null) ? providerName.toString() : null,
				(inject != null) ? Boolean.valueOf(inject.toString()) : null);
	}

	private static Object value(Map<String, Object> metadata, String key) {
		Object flat = metadata.get("llm." + key);
		if (flat != null) {
			return flat;
		}
		return (metadata.get("llm") instanceof Map<?, ?> nested) ? nested.get(key) : null;
	}

}
