package io.llmgateway.support;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed Prometheus text exposition (format 0.0.4), for asserting on what a scrape returns.
 */
public final class PrometheusScrape {

	/** One sample line. */
	public record Sample(String name, Map<String, String> labels, double value) {
	}

	private final List<Sample> samples = new ArrayList<>();

	private final String text;

	public PrometheusScrape(String text) {
		this.text = text;
		for (String line : text.split("\n")) {
			if (!line.isBlank() && !line.startsWith("#")) {
				this.samples.add(parse(line));
			}
		}
	}

	public String text() {
		return this.text;
	}

	/** Samples of a metric whose labels include all the given ones. */
	public List<Sample> find(String name, Map<String, String> labels) {
		return this.samples.stream()
			.filter(sample -> sample.name().equals(name))
			.filter(sample -> sample.labels().entrySet().containsAll(labels.entrySet()))
			.toList();
	}

	/** Sum of the matching samples' values; 0 when none match. */
	public double sum(String name, Map<String, String> labels) {
		return find(name, labels).stream().mapToDouble(Sample::value).sum();
	}

	/** Whether any sample of any metric carries all the given labels. */
	public boolean anyWith(String namePrefix, Map<String, String> labels) {
		return this.samples.stream()
			.anyMatch(sample -> sample.name().startsWith(namePrefix)
					&& sample.labels().entrySet().containsAll(labels.entrySet()));
	}

	private static Sample parse(String line) {
		int brace = line.indexOf('{');
		int space;
		Map<String, String> labels = new LinkedHashMap<>();
		String name;
		if (brace >= 0 && brace < line.indexOf(' ')) {
			name = line.substring(0, brace);
			int i = brace + 1;
			while (line.charAt(i) != '}') {
				int eq = line.indexOf('=', i);
				String key = line.substring(i, eq);
				StringBuilder value = new StringBuilder();
				int j = eq + 2;
				while (line.charAt(j) != '"') {
					char c = line.charAt(j);
					if (c == '\\') {
						char next = line.charAt(++j);
						value.append((next == 'n') ? '\n' : next);
					}
					else {
						value.append(c);
					}
					j++;
				}
				labels.put(key, value.toString());
				i = j + 1;
				if (line.charAt(i) == ',') {
					i++;
				}
			}
			space = i + 1;
		}
		else {
			space = line.indexOf(' ');
			name = line.substring(0, space);
		}
		String[] rest = line.substring(space).trim().split(" ");
		return new Sample(name, labels, Double.parseDouble(rest[0]));
	}

}
