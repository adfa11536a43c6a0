package io.llmgateway.attribution;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import io.llmgateway.config.LlmGatewayProperties.AttributionLabel;
import io.llmgateway.observation.BoundedLabelValues;

import org.springframework.http.HttpHeaders;

/**
 * Resolves the configured attribution labels (team, user, hashed API key, …) of a request from
 * its headers or its bearer token's claims, each bounded in its distinct values.
 */
public class AttributionResolver {

	private final List<Label> labels = new ArrayList<>();

	private final JsonMapper json;

	/**
	 * Names an attribution label cannot take: the labels of the gateway's own meters (as
	 * Prometheus shows them), Prometheus' histogram, summary and target labels, and the access
	 * log's fields. A label named like one of them would silently replace its value (Prometheus
	 * renames a clash with its target labels to {@code exported_*}).
	 */
	static final Set<String> RESERVED_NAMES = Set.of("gen_ai_operation_name", "gen_ai_provider_name",
			"gen_ai_request_model", "gen_ai_response_model", "gen_ai_token_type", "route", "stream", "error_type",
			"token_type", "usage_source", "cost_type", "le", "quantile", "timestamp", "trace_id", "span_id",
			"method", "path", "status", "duration_ms", "upstream", "bytes_in", "bytes_out", "user_agent",
			"cost_usd", "ttfc_ms", "job", "instance");

	public AttributionResolver(List<AttributionLabel> labels, JsonMapper json) {
		this.json = json;
		Set<String> names = new HashSet<>();
		for (AttributionLabel label : labels) {
			if (RESERVED_NAMES.contains(label.getName())) {
				throw new IllegalArgumentException("Attribution label name '" + label.getName()
						+ "' is taken by a label or access-log field of the gateway's own; choose another");
			}
			if (!names.add(label.getName())) {
				throw new IllegalArgumentException("Attribution label name '" + label.getName() + "' is given twice");
			}
			this.labels.add(new Label(label, new BoundedLabelValues(label.getMaxValues())));
		}
	}

	/** The label values of a request, in configuration order. */
	public Map<String, String> resolve(HttpHeaders headers) {
		if (this.labels.isEmpty()) {
			return Map.of();
		}
		Map<String, String> values = new LinkedHashMap<>();
		JsonNode claims = null;
		boolean claimsRead = false;
		for (Label label : this.labels) {
			AttributionLabel config = label.config;
			String value = null;
			if (config.getHeader() != null) {
				value = headers.getFirst(config.getHeader());
			}
			if (isBlank(value) && config.getJwtClaim() != null) {
				if (!claimsRead) {
					claims = bearerClaims(headers.getFirst(HttpHeaders.AUTHORIZATION));
					claimsRead = true;
				}
				JsonNode claim = (claims != null) ? claims.get(config.getJwtClaim()) : null;
				value = (claim != null && (claim.isString() || claim.isNumber())) ? claim.asString() : null;
			}
			if (isBlank(value)) {
				value = config.getDefaultValue();
			}
			else {
				value = config.isHashed() ? digest(value.strip()) : value.strip();
				value = label.values.bound(value);
			}
			values.put(config.getName(), value);
		}
		return values;
	}

	private JsonNode bearerClaims(String authorization) {
		if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
			return null;
		}
		String[] parts = authorization.substring(7).strip().split("\\.");
		if (parts.length != 3) {
			return null;
		}
		try {
			JsonNode claims = this.json.readTree(Base64.getUrlDecoder().decode(parts[1]));
			return (claims != null && claims.isObject()) ? claims : null;
		}
		catch (IllegalArgumentException | JacksonException ex) {
			return null;
		}
	}

	/** First 12 hex digits of SHA-256: enough to tell keys apart, useless to recover them. */
	static String digest(String value) {
		try {
			byte[] hash = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
			return HexFormat.of().formatHex(hash, 0, 6);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static boolean isBlank(String value) {
		return value == null || value.isBlank();
	}

	private record Label(AttributionLabel config, BoundedLabelValues values) {
	}

}
