package io.llmgateway.dashboards;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the observability assets under {@code dashboards/} and hands out every PromQL expression
 * they contain: the queries of the Grafana panels, the queries behind the template variables and
 * the alert rule expressions. Used by {@link DashboardTests} (static checks) and meant for a live
 * test that evaluates each expression against a Prometheus scraping a running gateway.
 *
 * <p>Panel expressions are returned as written, with Grafana variables ({@code $route},
 * {@code $__rate_interval}, ...); {@link #resolveVariables(String)} turns them into plain PromQL.
 */
public final class DashboardQueries {

	/** One Prometheus query of a Grafana panel. */
	public record PanelQuery(String dashboardUid, Path dashboardFile, int panelId, String panelTitle, String refId,
			String expr) {

		/** The expression with every Grafana variable replaced (see {@link #resolveVariables(String)}). */
		public String resolvedExpr() {
			return resolveVariables(this.expr);
		}

		@Override
		public String toString() {
			return this.dashboardUid + " panel " + this.panelId + " \"" + this.panelTitle + "\" " + this.refId + ": "
					+ this.expr;
		}
	}

	/** The {@code label_values(selector, label)} query of a Grafana template variable. */
	public record VariableQuery(String dashboardUid, String name, String query, String selector, String label) {

		/** The series selector with every Grafana variable replaced: a valid PromQL expression. */
		public String resolvedSelector() {
			return resolveVariables(this.selector);
		}
	}

	/** One alerting (or recording) rule of the rules file. */
	public record AlertQuery(String group, String name, String expr, String forDuration, Map<String, String> labels,
			Map<String, String> annotations) {

		public boolean isAlert() {
			return !this.name.contains(":");
		}

		@Override
		public String toString() {
			return this.group + "/" + this.name + ": " + this.expr;
		}
	}

	/**
	 * Metric names of the telemetry contract (docs: telemetry contract, "Metrics"), as scraped.
	 * Histograms are listed by base name; see {@link #CONTRACT_HISTOGRAMS}.
	 */
	public static final Set<String> CONTRACT_HISTOGRAMS = Set.of("gen_ai_client_operation_duration_seconds",
			"gen_ai_client_token_usage", "gen_ai_client_operation_time_to_first_chunk_seconds",
			"gen_ai_server_time_per_output_token_seconds");

	/** Counters and gauges of the telemetry contract. */
	public static final Set<String> CONTRACT_SIMPLE = Set.of("llm_gateway_tokens_total", "llm_gateway_cost_usd_total",
			"llm_gateway_unpriced_calls_total", "llm_gateway_active_streams", "llm_gateway_usage_injections_total");

	/** Micrometer timers and distribution summaries of Spring, the JVM and Reactor Netty that the assets may use. */
	private static final Set<String> PLATFORM_SUMMARIES = Set.of("spring_cloud_gateway_requests_seconds",
			"http_server_requests_seconds", "jvm_gc_pause_seconds", "reactor_netty_http_client_data_received_bytes",
			"reactor_netty_http_client_data_sent_bytes", "reactor_netty_http_client_response_time_seconds",
			"reactor_netty_http_client_connect_time_seconds", "reactor_netty_http_client_address_resolver_seconds",
			"reactor_netty_http_client_tls_handshake_time_seconds",
			"reactor_netty_http_client_data_received_time_seconds", "reactor_netty_http_client_data_sent_time_seconds",
			"reactor_netty_http_server_data_received_bytes", "reactor_netty_http_server_data_sent_bytes",
			"reactor_netty_http_server_response_time_seconds", "reactor_netty_http_server_data_received_time_seconds",
			"reactor_netty_http_server_data_sent_time_seconds");

	/** Plain metrics (gauges, counters) of Spring, the JVM, Reactor Netty and Prometheus itself. */
	private static final Set<String> PLATFORM_SIMPLE = Set.of("up", "scrape_duration_seconds",
			"scrape_samples_scraped", "jvm_memory_used_bytes", "jvm_memory_committed_bytes", "jvm_memory_max_bytes",
			"jvm_buffer_memory_used_bytes", "jvm_buffer_count_buffers", "jvm_buffer_total_capacity_bytes",
			"jvm_gc_memory_allocated_bytes_total", "jvm_gc_memory_promoted_bytes_total", "jvm_gc_live_data_size_bytes",
			"jvm_gc_max_data_size_bytes", "jvm_threads_live_threads", "jvm_threads_daemon_threads",
			"jvm_threads_peak_threads", "jvm_threads_started_threads_total", "jvm_threads_states_threads",
			"jvm_classes_loaded_classes", "jvm_classes_unloaded_classes_total", "process_cpu_usage",
			"system_cpu_usage", "system_cpu_count", "system_load_average_1m", "process_uptime_seconds",
			"process_start_time_seconds", "process_files_open_files", "process_files_max_files",
			"reactor_netty_connection_provider_total_connections",
			"reactor_netty_connection_provider_active_connections",
			"reactor_netty_connection_provider_idle_connections",
			"reactor_netty_connection_provider_pending_connections",
			"reactor_netty_connection_provider_max_connections",
			"reactor_netty_connection_provider_max_pending_connections", "reactor_netty_http_client_errors_total",
			"reactor_netty_http_server_errors_total", "reactor_netty_http_server_connections_active",
			"reactor_netty_http_server_connections");

	/** Every scraped name of the telemetry contract ({@code _bucket}/{@code _sum}/{@code _count} for histograms). */
	public static final Set<String> CONTRACT_METRICS = expand(CONTRACT_SIMPLE, CONTRACT_HISTOGRAMS,
			List.of("_bucket", "_sum", "_count"));

	/** Every scraped name of the known Spring / JVM / Reactor Netty / Prometheus families. */
	public static final Set<String> PLATFORM_METRICS = expand(PLATFORM_SIMPLE, PLATFORM_SUMMARIES,
			List.of("_count", "_sum", "_max", "_bucket"));

	private static final JsonMapper JSON = JsonMapper.shared();

	private static final Pattern LABEL_VALUES = Pattern
		.compile("^\\s*label_values\\(\\s*(.+?)\\s*,\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\)\\s*$", Pattern.DOTALL);

	/** {@code $name}, {@code ${name}}, {@code ${name:format}}, {@code [[name]]}. */
	static final Pattern VARIABLE = Pattern
		.compile("\\$\\{([A-Za-z0-9_]+)(?::[^}]*)?\\}|\\$([A-Za-z0-9_]+)|\\[\\[([A-Za-z0-9_]+)(?::[^\\]]*)?\\]\\]");

	private static final Set<String> PROMQL_KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left",
			"group_right", "and", "or", "unless", "offset", "bool", "atan2", "inf", "nan", "start", "end");

	private DashboardQueries() {
	}

	// ---------------------------------------------------------------- locations

	/** The project directory: the nearest directory upwards from the working directory holding {@code dashboards/}. */
	public static Path projectRoot() {
		Path dir = Path.of("").toAbsolutePath();
		for (Path p = dir; p != null; p = p.getParent()) {
			if (Files.isDirectory(p.resolve("dashboards")) && Files.exists(p.resolve("pom.xml"))) {
				return p;
			}
		}
		throw new IllegalStateException("no dashboards/ directory above " + dir);
	}

	public static Path grafanaDir() {
		return projectRoot().resolve("dashboards/grafana");
	}

	/** {@code dashboards/alerts/llm-gateway-rules.yaml}. */
	public static Path rulesFile() {
		return projectRoot().resolve("dashboards/alerts/llm-gateway-rules.yaml");
	}

	/** The promtool unit test files, {@code dashboards/alerts/tests/*.yaml}, sorted. */
	public static List<Path> ruleTestFiles() {
		return list(projectRoot().resolve("dashboards/alerts/tests"), ".yaml");
	}

	/** The Grafana dashboards, {@code dashboards/grafana/*.json}, sorted. */
	public static List<Path> dashboardFiles() {
		return list(grafanaDir(), ".json");
	}

	public static JsonNode readDashboard(Path file) {
		try {
			return JSON.readTree(Files.readString(file));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	// ---------------------------------------------------------------- queries

	/** Every Prometheus query of every panel of every dashboard, in file and panel order. */
	public static List<PanelQuery> panelQueries() {
		List<PanelQuery> result = new ArrayList<>();
		for (Path file : dashboardFiles()) {
			result.addAll(panelQueries(file));
		}
		return result;
	}

	/** Every Prometheus query of one dashboard (panels whose datasource is a Prometheus one; rows flattened). */
	public static List<PanelQuery> panelQueries(Path dashboardFile) {
		JsonNode dashboard = readDashboard(dashboardFile);
		String uid = dashboard.path("uid").asString();
		List<PanelQuery> result = new ArrayList<>();
		for (JsonNode panel : panels(dashboard)) {
			if (!"prometheus".equals(panel.path("datasource").path("type").asString())) {
				continue;
			}
			for (JsonNode target : panel.path("targets")) {
				String expr = target.path("expr").asString("");
				if (!expr.isBlank()) {
					result.add(new PanelQuery(uid, dashboardFile, panel.path("id").asInt(),
							panel.path("title").asString(), target.path("refId").asString(), expr));
				}
			}
		}
		return result;
	}

	/** The {@code label_values(...)} queries of the template variables of every dashboard. */
	public static List<VariableQuery> variableQueries() {
		List<VariableQuery> result = new ArrayList<>();
		for (Path file : dashboardFiles()) {
			JsonNode dashboard = readDashboard(file);
			for (JsonNode variable : dashboard.path("templating").path("list")) {
				if (!"query".equals(variable.path("type").asString())) {
					continue;
				}
				String query = variableQueryText(variable);
				Matcher m = LABEL_VALUES.matcher(query);
				if (!m.matches()) {
					throw new IllegalStateException(file.getFileName() + " variable " + variable.path("name").asString()
							+ " is not label_values(selector, label): " + query);
				}
				result.add(new VariableQuery(dashboard.path("uid").asString(), variable.path("name").asString(),
						query, m.group(1), m.group(2)));
			}
		}
		return result;
	}

	/** Every rule of the rules file, in file order. */
	@SuppressWarnings("unchecked")
	public static List<AlertQuery> alertQueries() {
		Map<String, Object> root = readYaml(rulesFile());
		List<AlertQuery> result = new ArrayList<>();
		for (Map<String, Object> group : (List<Map<String, Object>>) root.get("groups")) {
			for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
				Object name = (rule.get("alert") != null) ? rule.get("alert") : rule.get("record");
				result.add(new AlertQuery(String.valueOf(group.get("name")), String.valueOf(name),
						String.valueOf(rule.get("expr")).strip(), (String) rule.get("for"), strings(rule.get("labels")),
						strings(rule.get("annotations"))));
			}
		}
		return result;
	}

	/**
	 * Every PromQL expression of the assets, resolved to plain PromQL, keyed by a readable origin
	 * (panel queries, variable selectors, alert expressions).
	 */
	public static Map<String, String> allResolvedExpressions() {
		Map<String, String> result = new java.util.LinkedHashMap<>();
		for (PanelQuery q : panelQueries()) {
			result.put(q.dashboardUid() + " #" + q.panelId() + " " + q.panelTitle() + " [" + q.refId() + "]",
					q.resolvedExpr());
		}
		for (VariableQuery v : variableQueries()) {
			result.put(v.dashboardUid() + " variable $" + v.name(), v.resolvedSelector());
		}
		for (AlertQuery a : alertQueries()) {
			result.put("rule " + a.name(), a.expr());
		}
		return result;
	}

	// ---------------------------------------------------------------- PromQL helpers

	/**
	 * Replaces Grafana variables with values that make a plain PromQL expression: {@code $__rate_interval}
	 * and {@code $__interval} by {@code 1m}, {@code $__range} by {@code 1h}, and every template variable
	 * ({@code $route}, {@code ${model:regex}}, ...) by {@code .*} (they only occur in regex label matchers).
	 */
	public static String resolveVariables(String expr) {
		return resolveVariables(expr, "1m", "1h");
	}

	/** As {@link #resolveVariables(String)} with explicit rate interval and range durations (PromQL syntax). */
	public static String resolveVariables(String expr, String rateInterval, String range) {
		Matcher m = VARIABLE.matcher(expr);
		StringBuilder out = new StringBuilder();
		while (m.find()) {
			String name = variableName(m);
			String value = switch (name) {
				case "__rate_interval", "__interval" -> rateInterval;
				case "__range" -> range;
				default -> ".*";
			};
			m.appendReplacement(out, Matcher.quoteReplacement(value));
		}
		m.appendTail(out);
		return out.toString();
	}

	/** The names of the Grafana variables referenced in a text (built-ins such as {@code __rate_interval} included). */
	public static Set<String> variablesIn(String text) {
		Set<String> names = new LinkedHashSet<>();
		Matcher m = VARIABLE.matcher(text);
		while (m.find()) {
			names.add(variableName(m));
		}
		return names;
	}

	/**
	 * The metric names a PromQL expression selects. A small scanner, not a parser: it drops strings,
	 * label matchers, range and subquery brackets and grouping label lists, then keeps every identifier
	 * that is neither a keyword nor followed by {@code (} (a function or aggregation).
	 */
	public static Set<String> metricNames(String promql) {
		String s = promql.replaceAll("\"(?:\\\\.|[^\"\\\\])*\"|'(?:\\\\.|[^'\\\\])*'|`[^`]*`", "\"\"");
		s = s.replaceAll("\\{[^}]*\\}", " ");
		s = s.replaceAll("\\[[^\\]]*\\]", " ");
		s = s.replaceAll("(?i)\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
		s = s.replaceAll("(?m)#.*$", " ");
		Matcher m = Pattern.compile("(\\d[\\w.]*)|([A-Za-z_:][A-Za-z0-9_:]*)|\\$\\{?\\w+\\}?").matcher(s);
		Set<String> names = new LinkedHashSet<>();
		while (m.find()) {
			String id = m.group(2);
			if (id == null || PROMQL_KEYWORDS.contains(id.toLowerCase())) {
				continue;
			}
			int next = m.end();
			while (next < s.length() && Character.isWhitespace(s.charAt(next))) {
				next++;
			}
			if (next < s.length() && s.charAt(next) == '(') {
				continue;
			}
			names.add(id);
		}
		return names;
	}

	/** Whether a scraped metric name is in the telemetry contract or a known platform family. */
	public static boolean isKnownMetric(String name) {
		return CONTRACT_METRICS.contains(name) || PLATFORM_METRICS.contains(name);
	}

	// ---------------------------------------------------------------- internals

	/** Panels of a dashboard, row panels and the panels nested in collapsed rows included. */
	static List<JsonNode> panels(JsonNode dashboard) {
		List<JsonNode> result = new ArrayList<>();
		for (JsonNode panel : dashboard.path("panels")) {
			result.add(panel);
			for (JsonNode nested : panel.path("panels")) {
				result.add(nested);
			}
		}
		return result;
	}

	static String variableQueryText(JsonNode variable) {
		JsonNode query = variable.path("query");
		return query.isObject() ? query.path("query").asString("") : query.asString("");
	}

	@SuppressWarnings("unchecked")
	static Map<String, Object> readYaml(Path file) {
		try (Reader reader = Files.newBufferedReader(file)) {
			return (Map<String, Object>) new Yaml().load(reader);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static String variableName(Matcher m) {
		for (int i = 1; i <= 3; i++) {
			if (m.group(i) != null) {
				return m.group(i);
			}
		}
		throw new IllegalStateException();
	}

	private static Map<String, String> strings(Object map) {
		if (!(map instanceof Map<?, ?> m)) {
			return Map.of();
		}
		Map<String, String> result = new java.util.LinkedHashMap<>();
		m.forEach((k, v) -> result.put(String.valueOf(k), String.valueOf(v)));
		return Collections.unmodifiableMap(result);
	}

	private static Set<String> expand(Set<String> simple, Set<String> families, List<String> suffixes) {
		Set<String> all = new LinkedHashSet<>(simple);
		for (String family : families) {
			for (String suffix : suffixes) {
				all.add(family + suffix);
			}
		}
		return Collections.unmodifiableSet(all);
	}

	private static List<Path> list(Path dir, String extension) {
		try (Stream<Path> files = Files.list(dir)) {
			return files.filter((p) -> p.getFileName().toString().endsWith(extension)).sorted().toList();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
