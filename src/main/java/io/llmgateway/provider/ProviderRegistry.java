package io.llmgateway.provider;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The adapters the gateway knows, by the id that routes name in {@code llm.provider}.
 */
public final class ProviderRegistry {

	private final Map<String, ProviderAdapter> adapters = new LinkedHashMap<>();

	public ProviderRegistry(Collection<? extends ProviderAdapter> adapters) {
		for (ProviderAdapter adapter : adapters) {
			ProviderAdapter previous = this.adapters.putIfAbsent(adapter.id(), adapter);
			if (previous != null) {
				throw new IllegalStateException("Two provider adapters share the id '" + adapter.id() + "'");
			}
		}
	}

	/** The adapter with the given id, or {@code null}. */
	public ProviderAdapter find(String id) {
		return (id != null) ? this.adapters.get(id) : null;
	}

	/** Ids of all adapters, for error messages. */
	public Collection<String> ids() {
		return this.adapters.keySet();
	}

}
