/**
 * Built-in Liquid templates, one per source and language. They use only DingTalk's markdown subset
 * (headings, bold, quotes, lists, links) and read well on a phone. `examples/templates/` has copies to start from.
 * @module
 */
import type { SourceKind } from "../config-schema.js";

const ALERTS_ZH = `### {{ headline }}
{% for alert in alerts %}
**{{ alert.emoji }} {{ alert.statusWord }} · {{ alert.name }}** · {{ alert.severityWord }}
{% if alert.summary != "" %}
> {{ alert.summary }}
{% endif %}
- 开始：{{ alert.startsAtText }}{% if alert.endsAtText != "" %}
- 结束：{{ alert.endsAtText }}{% endif %}{% if alert.labelText != "" %}
- 标签：{{ alert.labelText }}{% endif %}{% if alert.valueString != "" %}
- 数值：{{ alert.valueString }}{% endif %}{% if alert.url != "" %}
- [查看详情]({{ alert.url }}){% endif %}{% if alert.silenceURL != "" %} · [静默]({{ alert.silenceURL }}){% endif %}
{% endfor %}`;

const ALERTS_EN = `### {{ headline }}
{% for alert in alerts %}
**{{ alert.emoji }} {{ alert.statusWord }} · {{ alert.name }}** · {{ alert.severityWord }}
{% if alert.summary != "" %}
> {{ alert.summary }}
{% endif %}
- Started: {{ alert.startsAtText }}{% if alert.endsAtText != "" %}
- Ended: {{ alert.endsAtText }}{% endif %}{% if alert.labelText != "" %}
- Labels: {{ alert.labelText }}{% endif %}{% if alert.valueString != "" %}
- Value: {{ alert.valueString }}{% endif %}{% if alert.url != "" %}
- [Details]({{ alert.url }}){% endif %}{% if alert.silenceURL != "" %} · [Silence]({{ alert.silenceURL }}){% endif %}
{% endfor %}`;

const GITHUB_ZH = `### {{ headline }}
{% for alert in alerts %}
**{{ alert.emoji }} {{ repository.full_name }}** · {{ event }}{% if action != "" %} · {{ action }}{% endif %}

> {{ alert.summary }}

- 操作人：{{ sender.login }}
{% if alert.url != "" %}- [在 GitHub 上查看]({{ alert.url }}){% endif %}
{% endfor %}`;

const GITHUB_EN = `### {{ headline }}
{% for alert in alerts %}
**{{ alert.emoji }} {{ repository.full_name }}** · {{ event }}{% if action != "" %} · {{ action }}{% endif %}

> {{ alert.summary }}

- By: {{ sender.login }}
{% if alert.url != "" %}- [View on GitHub]({{ alert.url }}){% endif %}
{% endfor %}`;

const GENERIC_ZH = `### {{ headline }}
{% for alert in alerts %}
**{{ alert.emoji }} {{ alert.name }}** · {{ alert.severityWord }}
{% if alert.summary != "" %}
> {{ alert.summary }}
{% endif %}{% if alert.url != "" %}
- [查看详情]({{ alert.url }}){% endif %}
{% endfor %}`;

const GENERIC_EN = `### {{ headline }}
{% for alert in alerts %}
**{{ alert.emoji }} {{ alert.name }}** · {{ alert.severityWord }}
{% if alert.summary != "" %}
> {{ alert.summary }}
{% endif %}{% if alert.url != "" %}
- [Details]({{ alert.url }}){% endif %}
{% endfor %}`;

/** The built-in template text for a source and language. */
export function builtinTemplate(source: SourceKind, language: "zh" | "en"): string {
  switch (source) {
    case "alertmanager":
    case "grafana":
      return language === "zh" ? ALERTS_ZH : ALERTS_EN;
    case "github":
      return language === "zh" ? GITHUB_ZH : GITHUB_EN;
    case "generic":
      return language === "zh" ? GENERIC_ZH : GENERIC_EN;
  }
}
