package io.llmgateway.dashboards;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import io.llmgateway.dashboards.DashboardQueries.AlertQuery;
import io.llmgateway.dashboards.DashboardQueries.PanelQuery;
import io.llmgateway.dashboards.DashboardQueries.VariableQuery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The live proof of the observability assets: a real Prometheus (the {@code prometheus} binary on
 * the PATH, 2.42 on Debian 12) scrapes a running gateway while LLM calls of several providers,
 * models, teams and users flow through it (JSON and streams, successes and upstream 429/500, plus
 * plain proxied calls). Then every panel query, template variable and alert expression under
 * {@code dashboards/} is evaluated through Prometheus' HTTP API.
 *
 * <ul>
 * <li>Prometheus accepts the gateway's OpenMetrics exposition with exemplars (target up, no scrape
 * error, exemplars stored);</li>
 * <li>every expression evaluates without error;</li>
 * <li>every metric an expression names is actually scraped from the gateway (never allow-listed);</li>
 * <li>every panel returns at least one finite sample, except the few in {@link #MAY_STAY_EMPTY};</li>
 * <li>the template variables list the routes, providers, models, teams and users of the traffic;</li>
 * <li>the rules file loads, every rule evaluates without error, and the unpriced-model alert fires;</li>
 * <li>{@code promtool check metrics} accepts the text exposition.</li>
 * </ul>
 *
 * Routes point at the gateway's own simulator, so the server port is fixed up front.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.DEFINED_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LivePrometheusTests {

	/** Job name: the dashboards' {@code $job} variable and the availability alerts select {@code llm-gateway.*}. */
	private static final String JOB = "llm-gateway";

	private static final int GATEWAY_PORT = freePort();

	private static final int PROMETHEUS_PORT = freePort();

	/** Nothing listens here: the {@code broken} route's connect failures feed the upstream error panel. */
	private static final int DEAD_PORT = freePort();

	/**
	 * An upstream that accepts a connection, reads the request and resets the connection: errors on an
	 * open upstream connection, the other half of the upstream error panel.
	 */
	private static final ServerSocket RESETTING_UPSTREAM = listen();

	/**
	 * Panels (by dashboard uid and title) that may legitimately return no data with this traffic. Keep
	 * it short: each entry says why the traffic cannot feed it. A panel whose metric the gateway does
	 * not emit at all fails regardless (see {@link #everyQueriedMetricIsScraped()}).
	 */
	private static final Map<String, String> MAY_STAY_EMPTY = Map.of(
			// The simulator always reports prompt_tokens_details.cached_tokens = 0, and the gateway only
			// creates the cache_read_input series for a call with cached tokens, so the numerator is absent.
			"llm-gateway-overview/Cache read share of input",
			"the simulator never reports cached input tokens");

	private static final JsonMapper JSON = JsonMapper.shared();

	private static final HttpClient HTTP = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(5))
		.build();

	private static final String GATEWAY = "http://127.0.0.1:" + GATEWAY_PORT;

	private static final String PROMETHEUS = "http://127.0.0.1:" + PROMETHEUS_PORT;

	/** The four routes of the test: three LLM providers on the simulator, one plain proxy. */
	private static final List<String> LLM_ROUTES = List.of("sim-openai", "sim-ollama", "sim-mistral");

	private static final List<String> PROVIDERS = List.of("openai", "ollama", "mistral_ai");

	/** Models per LLM route; {@code mistral-large} has no price on purpose (unpriced panel and alert). */
	private static final Map<String, List<String>> MODELS = Map.of("sim-openai", List.of("gpt-4o-mini", "gpt-4o"),
			"sim-ollama", List.of("llama3", "qwen2"), "sim-mistral", List.of("mistral-small", "mistral-large"));

	private static final List<String> TEAMS = List.of("search", "billing", "support");

	private static final List<String> USERS = List.of("alice", "bob");

	private Path workDir;

	private Process prometheus;

	private Path prometheusLog;

	/** Every metric name Prometheus stored from the gateway job, read once the traffic was scraped. */
	private Set<String> scrapedNames;

	@DynamicPropertySource
	static void gatewayProperties(DynamicPropertyRegistry registry) {
		registry.add("server.port", () -> GATEWAY_PORT);
		registry.add("llm-gateway.simulator.enabled", () -> true);
		// Fast fallback pacing; requests set their own with x-simulator-* headers anyway.
		registry.add("llm-gateway.simulator.first-chunk-delay", () -> "10ms");
		registry.add("llm-gateway.simulator.chunk-delay", () -> "2ms");
		String routes = "spring.cloud.gateway.server.webflux.routes";
		int i = 0;
		for (String[] route : new String[][] { { "sim-openai", "openai", null }, { "sim-ollama", "openai", "ollama" },
				{ "sim-mistral", "openai", "mistral_ai" } }) {
			String prefix = routes + "[" + i + "]";
			String path = route[0];
			registry.add(prefix + ".id", () -> route[0]);
			registry.add(prefix + ".uri", () -> GATEWAY);
			registry.add(prefix + ".predicates[0]", () -> "Path=/" + path + "/**");
			registry.add(prefix + ".filters[0]",
					() -> "RewritePath=/" + path + "/(?<rest>.*), /simulator/openai/$\\{rest}");
			registry.add(prefix + ".metadata.llm.provider", () -> route[1]);
			if (route[2] != null) {
				registry.add(prefix + ".metadata.llm.provider-name", () -> route[2]);
			}
			if ("sim-mistral".equals(route[0])) {
				// No usage injection here: streams without include_usage get estimated token counts,
				// which feeds the "estimated" usage source panels.
				registry.add(prefix + ".metadata.llm.inject-stream-usage", () -> "false");
			}
			i++;
		}
		// A plain proxied route (no llm metadata): Spring Cloud Gateway and HTTP server metrics only.
		registry.add(routes + "[3].id", () -> "plain");
		registry.add(routes + "[3].uri", () -> GATEWAY);
		registry.add(routes + "[3].predicates[0]", () -> "Path=/plain/**");
		registry.add(routes + "[3].filters[0]", () -> "RewritePath=/plain/(?<rest>.*), /actuator/$\\{rest}");
		// A plain route to a port nobody listens on: upstream connection errors.
		registry.add(routes + "[4].id", () -> "broken");
		registry.add(routes + "[4].uri", () -> "http://127.0.0.1:" + DEAD_PORT);
		registry.add(routes + "[4].predicates[0]", () -> "Path=/broken/**");
		registry.add(routes + "[5].id", () -> "reset");
		registry.add(routes + "[5].uri", () -> "http://127.0.0.1:" + RESETTING_UPSTREAM.getLocalPort());
		registry.add(routes + "[5].predicates[0]", () -> "Path=/reset/**");
		// Prices (USD per 1M tokens) for every model of the traffic but mistral-large, which stays
		// unpriced on purpose: it feeds the unpriced panel and the LlmGatewayUnpricedModel alert.
		List<String> priced = List.of("gpt-4o-mini", "gpt-4o", "llama3", "qwen2", "mistral-small");
		for (int p = 0; p < priced.size(); p++) {
			String model = priced.get(p);
			registry.add("llm-gateway.prices[" + p + "].model", () -> model);
			registry.add("llm-gateway.prices[" + p + "].input", () -> "0.50");
			registry.add("llm-gateway.prices[" + p + "].output", () -> "1.50");
		}
	}

	// ------------------------------------------------------------------ lifecycle

	@BeforeAll
	void startPrometheusAndSendTraffic() throws Exception {
		Thread resetter = new Thread(LivePrometheusTests::resetEveryConnection, "resetting-upstream");
		resetter.setDaemon(true);
		resetter.start();
		this.workDir = Files.createTempDirectory("live-prometheus");
		Path rules = this.workDir.resolve("llm-gateway-rules.yaml");
		Files.copy(DashboardQueries.rulesFile(), rules);
		Path config = this.workDir.resolve("prometheus.yml");
		Files.writeString(config, """
				global:
				  scrape_interval: 1s
				  scrape_timeout: 1s
				  evaluation_interval: 1s
				rule_files:
				  - %s
				scrape_configs:
				  - job_name: %s
				    metrics_path: /actuator/prometheus
				    static_configs:
				      - targets: ["127.0.0.1:%d"]
				""".formatted(rules, JOB, GATEWAY_PORT));
		this.prometheusLog = this.workDir.resolve("prometheus.log");
		this.prometheus = new ProcessBuilder(executable("prometheus"), "--config.file=" + config,
				"--storage.tsdb.path=" + this.workDir.resolve("tsdb"),
				"--web.listen-address=127.0.0.1:" + PROMETHEUS_PORT, "--enable-feature=exemplar-storage",
				"--log.level=warn")
			.redirectErrorStream(true)
			.redirectOutput(this.prometheusLog.toFile())
			.start();
		awaitTargetUp(Duration.ofSeconds(30));

		// A GC pause for the GC panels, whatever the heap does during this short run.
		System.gc();
		// Two waves with scrapes in between, so counters grow between samples and rates are not zero.
		sendTraffic(0);
		awaitScrapesAfter(Instant.now(), 2);
		sendTraffic(1);
		awaitScrapesAfter(Instant.now(), 3);
		this.scrapedNames = scrapedMetricNames();
	}

	@AfterAll
	void stopPrometheus() throws Exception {
		RESETTING_UPSTREAM.close();
		if (this.prometheus != null) {
			this.prometheus.destroy();
			if (!this.prometheus.waitFor(10, TimeUnit.SECONDS)) {
				this.prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			}
		}
		if (this.workDir != null) {
			try (var files = Files.walk(this.workDir)) {
				files.sorted(java.util.Comparator.reverseOrder()).forEach((p) -> p.toFile().delete());
			}
		}
	}

	// ------------------------------------------------------------------ tests

	@Test
	@Order(1)
	void prometheusScrapesTheOpenMetricsExpositionWithExemplars() throws Exception {
		JsonNode target = gatewayTarget();
		assertThat(target.path("health").asString()).as("target health; target: %s", target).isEqualTo("up");
		assertThat(target.path("lastError").asString()).as("last scrape error; target: %s", target).isEmpty();

		// What Prometheus 2.42 is served: it asks for OpenMetrics first, and gets exemplars with it.
		HttpResponse<String> openMetrics = HTTP.send(HttpRequest.newBuilder(URI.create(GATEWAY + "/actuator/prometheus"))
			.header("Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
					+ "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(openMetrics.headers().firstValue("Content-Type").orElse(""))
			.startsWith("application/openmetrics-text");
		assertThat(openMetrics.body()).as("exemplars in the OpenMetrics exposition")
			.containsPattern("gen_ai_client_operation_duration_seconds_bucket\\{[^}]*\\} \\S+ # \\{[^}]*trace_id=");

		// ... and stored them: the whole scrape was accepted, exemplars included.
		double now = Instant.now().getEpochSecond();
		JsonNode exemplars = prometheusGet("/api/v1/query_exemplars", Map.of("query",
				"gen_ai_client_operation_duration_seconds_bucket{job=\"" + JOB + "\"}", "start",
				Double.toString(now - 300), "end", Double.toString(now + 1)));
		assertThat(exemplars.path("status").asString()).as("query_exemplars: %s", exemplars).isEqualTo("success");
		List<String> traceIds = new ArrayList<>();
		for (JsonNode series : exemplars.path("data")) {
			for (JsonNode exemplar : series.path("exemplars")) {
				traceIds.add(exemplar.path("labels").path("trace_id").asString(""));
			}
		}
		assertThat(traceIds).as("exemplars stored by Prometheus: %s", exemplars)
			.isNotEmpty()
			.allMatch((id) -> id.matches("[0-9a-f]{32}"));
	}

	@Test
	@Order(2)
	void everyQueriedMetricIsScraped() {
		Map<String, Set<String>> missing = new LinkedHashMap<>();
		DashboardQueries.allResolvedExpressions().forEach((origin, expr) -> {
			Set<String> absent = DashboardQueries.metricNames(expr)
				.stream()
				.filter((name) -> !this.scrapedNames.contains(name))
				.collect(Collectors.toCollection(TreeSet::new));
			if (!absent.isEmpty()) {
				missing.put(origin + "\n      " + expr, absent);
			}
		});
		assertThat(missing)
			.as("expressions naming metrics that Prometheus never scraped from the gateway "
					+ "(a wrong name or a metric that is not switched on; reactor_netty_* need the gateway's "
					+ "connection pool, HTTP client and HTTP server metrics on). Scraped names: %s",
					this.scrapedNames)
			.isEmpty();
	}

	@Test
	@Order(3)
	void everyPanelQueryEvaluatesAndTheTrafficFeedsIt() {
		List<String> failures = new ArrayList<>();
		List<String> emptyButAllowed = new ArrayList<>();
		Set<String> allowListUsed = new TreeSet<>();
		for (PanelQuery panel : DashboardQueries.panelQueries()) {
			String expr = panel.resolvedExpr();
			JsonNode answer = query(expr);
			if (!"success".equals(answer.path("status").asString())) {
				failures.add(describe(panel.toString(), expr, answer, "does not evaluate"));
				continue;
			}
			if (hasFiniteSample(answer)) {
				continue;
			}
			String key = panel.dashboardUid() + "/" + panel.panelTitle();
			if (MAY_STAY_EMPTY.containsKey(key)) {
				allowListUsed.add(key);
				emptyButAllowed.add(key);
			}
			else {
				failures.add(describe(panel.toString(), expr, answer, "returns no data although the traffic feeds it"));
			}
		}
		emptyButAllowed.forEach((key) -> System.out.println("[live-prometheus] empty as allowed: " + key + " ("
				+ MAY_STAY_EMPTY.get(key) + ")"));
		assertThat(failures).as("panel queries against a live Prometheus").isEmpty();
		// A stale allow-list entry hides nothing, but it should go: the panel is fed now, or is gone.
		assertThat(MAY_STAY_EMPTY.keySet()).as("allow-list entries that are no longer needed")
			.allMatch(allowListUsed::contains);
	}

	@Test
	@Order(4)
	void templateVariablesListTheTraffic() {
		Map<String, Set<String>> values = new LinkedHashMap<>();
		List<String> failures = new ArrayList<>();
		for (VariableQuery variable : DashboardQueries.variableQueries()) {
			String selector = variable.resolvedSelector();
			JsonNode answer = query(selector);
			String origin = variable.dashboardUid() + " variable $" + variable.name() + ": " + variable.query();
			if (!"success".equals(answer.path("status").asString())) {
				failures.add(describe(origin, selector, answer, "does not evaluate"));
				continue;
			}
			Set<String> found = new TreeSet<>();
			for (JsonNode sample : answer.path("data").path("result")) {
				String value = sample.path("metric").path(variable.label()).asString("");
				if (!value.isEmpty()) {
					found.add(value);
				}
			}
			if (found.isEmpty()) {
				failures.add(describe(origin, selector, answer, "lists no values"));
			}
			values.put(variable.dashboardUid() + "/" + variable.name(), found);
		}
		assertThat(failures).as("template variables against a live Prometheus").isEmpty();
		assertThat(values.get("llm-gateway-overview/route")).containsAll(LLM_ROUTES).doesNotContain("plain");
		assertThat(values.get("llm-gateway-overview/provider")).containsAll(PROVIDERS);
		assertThat(values.get("llm-gateway-overview/model"))
			.containsAll(MODELS.values().stream().flatMap(List::stream).toList())
			.contains("sim-error-429", "sim-error-500");
		assertThat(values.get("llm-gateway-overview/team")).containsAll(TEAMS).contains("anonymous");
		assertThat(values.get("llm-gateway-overview/user")).containsAll(USERS).contains("anonymous");
		assertThat(values.get("llm-gateway-process/job")).containsExactly(JOB);
		assertThat(values.get("llm-gateway-process/instance")).containsExactly("127.0.0.1:" + GATEWAY_PORT);
		assertThat(values.get("llm-gateway-process/route")).containsAll(LLM_ROUTES).contains("plain", "broken");
	}

	@Test
	@Order(5)
	void everyAlertExpressionEvaluatesAndTheRulesLoad() {
		List<String> failures = new ArrayList<>();
		for (AlertQuery alert : DashboardQueries.alertQueries()) {
			JsonNode answer = query(alert.expr());
			if (!"success".equals(answer.path("status").asString())) {
				failures.add(describe("rule " + alert, alert.expr(), answer, "does not evaluate"));
			}
		}
		assertThat(failures).as("alert expressions against a live Prometheus").isEmpty();

		// The same rules loaded by Prometheus from the rules file and evaluated every second.
		JsonNode rules = prometheusGet("/api/v1/rules", Map.of());
		Map<String, JsonNode> loaded = new LinkedHashMap<>();
		for (JsonNode group : rules.path("data").path("groups")) {
			for (JsonNode rule : group.path("rules")) {
				loaded.put(rule.path("name").asString(), rule);
			}
		}
		assertThat(loaded.keySet()).as("rules loaded by Prometheus")
			.containsExactlyInAnyOrderElementsOf(DashboardQueries.alertQueries().stream().map(AlertQuery::name).toList());
		loaded.forEach((name, rule) -> assertThat(rule.path("health").asString())
			.as("health of rule %s: %s", name, rule)
			.isEqualTo("ok"));

		// With this traffic: a model without a price was just called; the gateway is up and scraped.
		assertThat(loaded.get("LlmGatewayUnpricedModel").path("state").asString())
			.as("LlmGatewayUnpricedModel after calls to the unpriced mistral-large: %s",
					loaded.get("LlmGatewayUnpricedModel"))
			.isEqualTo("firing");
		assertThat(loaded.get("LlmGatewayUnpricedModel").path("alerts").toString()).contains("mistral-large");
		assertThat(loaded.get("LlmGatewayDown").path("state").asString()).isEqualTo("inactive");
		assertThat(loaded.get("LlmGatewayTargetMissing").path("state").asString()).isEqualTo("inactive");
	}

	@Test
	@Order(6)
	void promtoolAcceptsTheTextExposition() throws Exception {
		HttpResponse<String> text = HTTP.send(HttpRequest.newBuilder(URI.create(GATEWAY + "/actuator/prometheus"))
			.header("Accept", "text/plain;version=0.0.4")
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(text.statusCode()).isEqualTo(200);
		assertThat(text.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
		assertThat(text.body()).contains("gen_ai_client_operation_duration_seconds_bucket");
		Path exposition = this.workDir.resolve("exposition.txt");
		Files.writeString(exposition, text.body());
		Process promtool = new ProcessBuilder(executable("promtool"), "check", "metrics")
			.redirectInput(exposition.toFile())
			.redirectErrorStream(true)
			.start();
		String output = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(promtool.waitFor(60, TimeUnit.SECONDS)).isTrue();
		List<String> findings = output.lines().filter((line) -> !line.isBlank()).toList();
		// Exit code 0: clean; 3: lint findings only; anything else (1): the exposition does not parse.
		assertThat(promtool.exitValue()).as("promtool check metrics exit code; output:%n%s", output).isIn(0, 3);
		List<String> ours = findings.stream().filter(LivePrometheusTests::concernsOurMetrics).toList();
		assertThat(ours).as("promtool check metrics findings about the gateway's own metrics").isEmpty();
		List<String> unexpected = findings.stream().filter((line) -> !isKnownPlatformLint(line)).toList();
		assertThat(unexpected).as("promtool check metrics findings that are not known platform lints").isEmpty();
	}

	private static boolean concernsOurMetrics(String finding) {
		return finding.startsWith("gen_ai_") || finding.startsWith("llm_gateway_");
	}

	/**
	 * Lints promtool reports on meters that are not ours and that we do not name: Spring Boot's
	 * {@code http.server.requests}, Spring Cloud Gateway's and Reactor Netty's meters are registered
	 * without a description (no HELP), Spring Cloud Gateway tags {@code routeId}/{@code routeUri} in camelCase and
	 * names a gauge {@code spring_cloud_gateway_routes_count}, Micrometer's JVM and process binders
	 * name {@code jvm_compilation_time_ms_total}, {@code process_cpu_time_ns_total} and the gauge
	 * {@code system_cpu_count}. A finding on a {@code gen_ai_} or {@code llm_gateway_} metric is never
	 * filtered.
	 */
	private static boolean isKnownPlatformLint(String finding) {
		if (concernsOurMetrics(finding)) {
			return false;
		}
		String metric = finding.substring(0, Math.max(0, finding.indexOf(' ')));
		String lint = finding.substring(metric.length()).strip();
		return switch (lint) {
			case "no help text" -> metric.startsWith("http_server_requests_")
					|| metric.startsWith("spring_cloud_gateway_") || metric.startsWith("reactor_netty_");
			case "label names should be written in 'snake_case' not 'camelCase'" ->
				metric.startsWith("spring_cloud_gateway_");
			case "metric names should not contain abbreviated units" ->
				metric.equals("jvm_compilation_time_ms_total") || metric.equals("process_cpu_time_ns_total");
			case "non-histogram and non-summary metrics should not have \"_count\" suffix" ->
				metric.equals("spring_cloud_gateway_routes_count") || metric.equals("system_cpu_count");
			default -> false;
		};
	}

	// ------------------------------------------------------------------ traffic

	/** One wave: every LLM route and model, JSON and streamed, several teams and users, errors, plain calls. */
	private void sendTraffic(int wave) {
		List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
		List<String> expectations = new ArrayList<>();
		// The same labels in every wave: each series grows between scrapes, so rates and quantiles are
		// real numbers rather than NaN. Teams and users (some left to the default) vary across calls.
		int n = 0;
		for (String route : LLM_ROUTES) {
			for (String model : MODELS.get(route)) {
				for (boolean stream : List.of(false, true)) {
					String team = (n % 4 == 3) ? null : TEAMS.get(n % TEAMS.size());
					String user = (n % 3 == 2) ? null : USERS.get(n % USERS.size());
					calls.add(chat(route, model, stream, team, user));
					expectations.add(route + " " + model + " stream=" + stream + " -> 200");
					n++;
				}
			}
		}
		// Upstream errors, JSON and streamed: 429 on OpenAI, 500 on Ollama and Mistral.
		for (boolean stream : List.of(false, true)) {
			calls.add(chat("sim-openai", "sim-error-429", stream, "search", "alice"));
			expectations.add("sim-openai sim-error-429 -> 429");
			calls.add(chat("sim-ollama", "sim-error-500", stream, "billing", null));
			expectations.add("sim-ollama sim-error-500 -> 500");
			calls.add(chat("sim-mistral", "sim-error-500", stream, null, "bob"));
			expectations.add("sim-mistral sim-error-500 -> 500");
		}
		// Plain proxying, no LLM metrics: a health check through the gateway, and a dead upstream.
		calls.add(send(HttpRequest.newBuilder(URI.create(GATEWAY + "/plain/health/liveness")).GET().build()));
		expectations.add("plain /health/liveness -> 200");
		calls.add(send(HttpRequest.newBuilder(URI.create(GATEWAY + "/broken/anything")).GET().build()));
		expectations.add("broken (connection refused) -> 5xx");
		calls.add(send(HttpRequest.newBuilder(URI.create(GATEWAY + "/reset/anything")).GET().build()));
		expectations.add("reset (connection reset by the upstream) -> 5xx");

		CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
		for (int i = 0; i < calls.size(); i++) {
			HttpResponse<String> response = calls.get(i).join();
			String expectation = expectations.get(i);
			String why = "wave " + wave + ": " + expectation + ", got " + response.statusCode() + " " + response.body();
			if (expectation.endsWith("-> 200")) {
				assertThat(response.statusCode()).as(why).isEqualTo(200);
				if (response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
					assertThat(response.body()).as(why).contains("data: [DONE]");
				}
			}
			else if (expectation.endsWith("-> 429")) {
				assertThat(response.statusCode()).as(why).isEqualTo(429);
			}
			else if (expectation.endsWith("-> 500")) {
				assertThat(response.statusCode()).as(why).isEqualTo(500);
			}
			else {
				assertThat(response.statusCode()).as(why).isBetween(500, 599);
			}
		}
	}

	private CompletableFuture<HttpResponse<String>> chat(String route, String model, boolean stream, String team,
			String user) {
		String body = """
				{"model":"%s","stream":%s,"messages":[{"role":"system","content":"You are terse."},\
				{"role":"user","content":"Summarise the %s traffic of team %s in one paragraph."}]}"""
			.formatted(model, stream, route, team);
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(GATEWAY + "/" + route + "/v1/chat/completions"))
			.timeout(Duration.ofSeconds(30))
			.header("Content-Type", "application/json")
			.header("x-simulator-first-chunk-delay-ms", "15")
			.header("x-simulator-chunk-delay-ms", "3")
			.header("x-simulator-chunk-count", "8")
			.POST(HttpRequest.BodyPublishers.ofString(body));
		if (team != null) {
			request.header("x-team", team);
		}
		if (user != null) {
			request.header("x-user", user);
		}
		return send(request.build());
	}

	private static CompletableFuture<HttpResponse<String>> send(HttpRequest request) {
		return HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString());
	}

	// ------------------------------------------------------------------ Prometheus

	private void awaitTargetUp(Duration timeout) throws InterruptedException {
		Instant deadline = Instant.now().plus(timeout);
		JsonNode target = null;
		String lastProblem = "";
		while (Instant.now().isBefore(deadline)) {
			if (!this.prometheus.isAlive()) {
				fail("prometheus exited with " + this.prometheus.exitValue() + ":\n" + prometheusOutput());
			}
			try {
				target = gatewayTarget();
				if (target != null && "up".equals(target.path("health").asString())
						&& target.path("lastError").asString("").isEmpty()) {
					return;
				}
			}
			catch (RuntimeException ex) {
				lastProblem = ex.toString();
			}
			Thread.sleep(200);
		}
		fail("the gateway target did not come up within " + timeout + "; target: " + target + " " + lastProblem
				+ "\nprometheus output:\n" + prometheusOutput());
	}

	/** Waits until Prometheus scraped the gateway {@code scrapes} times after {@code after}. */
	private void awaitScrapesAfter(Instant after, int scrapes) throws InterruptedException {
		Set<String> seen = new TreeSet<>();
		Instant deadline = Instant.now().plusSeconds(20);
		while (Instant.now().isBefore(deadline)) {
			JsonNode target = gatewayTarget();
			String last = (target != null) ? target.path("lastScrape").asString("") : "";
			if (!last.isEmpty() && !last.startsWith("0001") && java.time.OffsetDateTime.parse(last).toInstant().isAfter(after)) {
				seen.add(last);
				if (seen.size() >= scrapes) {
					// One more evaluation round of the rules on top of the last scrape.
					Thread.sleep(1100);
					return;
				}
			}
			Thread.sleep(150);
		}
		fail("Prometheus did not scrape the gateway " + scrapes + " times after " + after + "; target: "
				+ gatewayTarget() + "\nprometheus output:\n" + prometheusOutput());
	}

	private JsonNode gatewayTarget() {
		JsonNode targets = prometheusGet("/api/v1/targets", Map.of("state", "active"));
		for (JsonNode target : targets.path("data").path("activeTargets")) {
			if (JOB.equals(target.path("labels").path("job").asString())) {
				return target;
			}
		}
		return null;
	}

	private Set<String> scrapedMetricNames() {
		JsonNode names = prometheusGet("/api/v1/label/__name__/values",
				Map.of("match[]", "{job=\"" + JOB + "\"}"));
		Set<String> result = new TreeSet<>();
		names.path("data").forEach((name) -> result.add(name.asString()));
		assertThat(result).as("metric names scraped from the gateway").isNotEmpty();
		return result;
	}

	/** An instant query at the current time; the answer even when Prometheus reports an error. */
	private JsonNode query(String expr) {
		return prometheusPost("/api/v1/query", Map.of("query", expr));
	}

	private JsonNode prometheusGet(String path, Map<String, String> parameters) {
		String query = parameters.isEmpty() ? "" : "?" + form(parameters);
		return call(HttpRequest.newBuilder(URI.create(PROMETHEUS + path + query)).GET().build());
	}

	private JsonNode prometheusPost(String path, Map<String, String> parameters) {
		return call(HttpRequest.newBuilder(URI.create(PROMETHEUS + path))
			.header("Content-Type", "application/x-www-form-urlencoded")
			.POST(HttpRequest.BodyPublishers.ofString(form(parameters)))
			.build());
	}

	private static JsonNode call(HttpRequest request) {
		try {
			HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
			// 400 and 422 carry {"status":"error","errorType":...,"error":...}: returned for the caller to report.
			return JSON.readTree(response.body());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private static String form(Map<String, String> parameters) {
		return parameters.entrySet()
			.stream()
			.map((e) -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
					+ URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
			.collect(Collectors.joining("&"));
	}

	/** Whether an instant query answer holds at least one sample with a finite value (NaN is no data in Grafana). */
	private static boolean hasFiniteSample(JsonNode answer) {
		JsonNode data = answer.path("data");
		JsonNode result = data.path("result");
		Predicate<JsonNode> finite = (pair) -> isFinite(pair.path(1).asString(""));
		return switch (data.path("resultType").asString("")) {
			case "scalar" -> finite.test(result);
			case "vector" -> {
				for (JsonNode sample : result) {
					if (finite.test(sample.path("value"))) {
						yield true;
					}
				}
				yield false;
			}
			default -> false;
		};
	}

	private static boolean isFinite(String value) {
		try {
			return Double.isFinite(Double.parseDouble(value));
		}
		catch (NumberFormatException ex) {
			return false;
		}
	}

	private static String describe(String origin, String expr, JsonNode answer, String problem) {
		String text = answer.toString();
		return origin + "\n    " + problem + "\n    query: " + expr + "\n    Prometheus: "
				+ ((text.length() > 1500) ? text.substring(0, 1500) + "..." : text);
	}

	private String prometheusOutput() {
		try {
			return Files.exists(this.prometheusLog) ? Files.readString(this.prometheusLog) : "(no output)";
		}
		catch (IOException ex) {
			return ex.toString();
		}
	}

	// ------------------------------------------------------------------ helpers

	private static ServerSocket listen() {
		try {
			return new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Reads the start of each request, then closes with SO_LINGER 0: the gateway sees a TCP reset. */
	private static void resetEveryConnection() {
		while (!RESETTING_UPSTREAM.isClosed()) {
			try (java.net.Socket socket = RESETTING_UPSTREAM.accept()) {
				socket.getInputStream().read(new byte[1024]);
				socket.setSoLinger(true, 0);
			}
			catch (IOException ex) {
				// closed at the end of the test, or the gateway went away first
			}
		}
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			socket.setReuseAddress(true);
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static String executable(String name) {
		for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
			Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
			if (Files.isExecutable(candidate)) {
				return candidate.toString();
			}
		}
		return fail(name + " not found on PATH: the live dashboard test runs a real Prometheus. "
				+ "Install it with `apt-get install -y prometheus` (Debian 12 ships 2.42), as .ci/setup does.");
	}

}
