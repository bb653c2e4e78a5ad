// The condition builder of the policy item form (no build step; loaded with defer).
//
// The textarea `condition_text` is what the form posts and what counts. The builder edits the
// condition as groups ("all of" / "any of") of rows (attribute, operator, period, value) and
// writes the text; the officer may also type the text, which is checked as one types (POST
// /api/v1/policy/rules/check): problems are shown beside the field with their span marked, a
// good rule with its plain-language description, and the builder follows the text when the
// server can express it as groups and rows. Otherwise the builder says the text is beyond it.
// Without JavaScript the form still works: the server checks the texts on save.
(() => {
  "use strict";
  const form = document.querySelector("form[data-rule-form]");
  if (!form) return;

  const zh = (document.documentElement.lang || "zh-CN").toLowerCase().startsWith("zh");
  const msg = (name) => form.dataset["msg" + name] || name;
  const csrfInput = form.querySelector("input[name=csrf_token]");
  const csrf = csrfInput ? csrfInput.value : "";
  const conditionText = form.querySelector("#f-condition_text");
  const amountText = form.querySelector("#f-amount_text");
  const builderBox = form.querySelector("[data-builder]");
  const helpersBox = form.querySelector("[data-amount-helpers]");
  const previewBox = form.querySelector("[data-preview-box]");
  const feedback = {
    condition: form.querySelector('[data-feedback="condition"]'),
    amount: form.querySelector('[data-feedback="amount"]'),
  };
  const fieldNames = { condition: "condition_text", amount: "amount_text" };
  const texts = { condition: conditionText, amount: amountText };

  const KEYWORDS = new Set(("and or not between within in if then else true false min max growth " +
    "years_since sum count_years tiers rank_tiers above up_to has gained first_time all_years any_year " +
    "last years this_year last_year year_before").split(" "));
  const CJK_WORD = /^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff][\u3400-\u4dbf\u4e00-\u4e13\u4e15-\u6215\u6217-\u9fff\uf900-\ufaff“”·]*$/;
  const BASE_PERIOD = { this_year: "last_year", last_year: "year_before", year_before: "-3" };
  const COMPARISONS = new Set([">=", "<=", ">", "<", "=", "!="]);

  let catalogue = null;
  let byKey = {};
  let opLabels = {};
  let model = null;
  let beyond = false;
  let timer = 0;
  let sequence = 0;

  // --- small DOM helper -------------------------------------------------------------------------
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value === undefined || value === null || value === false) return;
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach((child) => node.append(child));
    return node;
  }
  const label = (item) => (zh ? item.zh || item.label_zh : item.en || item.label_en);
  function option(value, text, selected) {
    const node = el("option", { value: value, text: text });
    if (selected) node.selected = true;
    return node;
  }

  // --- text of the model ------------------------------------------------------------------------
  function literal(value) {
    const v = value.trim();
    if (/^(\d+|[A-Z][A-Z0-9]*)$/.test(v)) return v;
    if (/^[a-z_][a-z0-9_]*$/.test(v) && !KEYWORDS.has(v)) return v;
    if (CJK_WORD.test(v) && !["且", "或", "非"].includes(v)) return v;
    return '"' + v.replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"';
  }
  function codes(value) {
    const parts = value.split(/[\s,，、;；]+/).filter(Boolean).map(literal);
    return parts.length === 1 ? parts[0] : "[" + parts.join(", ") + "]";
  }
  const number = (value) => value.trim().replace(/[,，\s]/g, "").replace(/元$/, "");
  const percent = (value) => (/%$/.test(number(value)) ? number(value) : number(value) + "%");
  function windowText(period) {
    const m = /^last:(\d)$/.exec(period);
    return m ? `last ${m[1]} years` : "last_year";
  }

  function rowText(row) {
    const attribute = byKey[row.attribute];
    if (!attribute || !row.operator) return "";
    const key = row.attribute;
    const op = row.operator;
    const v = (row.value || "").trim();
    const v2 = (row.value2 || "").trim();
    if (!["is_true", "is_false"].includes(op) && !v) return "";
    if (op === "between" && !v2) return "";
    const value = attribute.type === "date" ? v : number(v);
    const period = row.period || "last_year";
    switch (op) {
      case "is_true": return key;
      case "is_false": return "not " + key;
      case "within": return `${key} within ${codes(v)}`;
      case "not_within": return `not ${key} within ${codes(v)}`;
      case "in": return `${key} in ${codes(v)}`;
      case "not_in": return `not ${key} in ${codes(v)}`;
      case "has": return `has(${key}, ${literal(v)})`;
      case "not_has": return `not has(${key}, ${literal(v)})`;
      case "gained": return `gained(${key}, ${literal(v)}, ${windowText(period)})`;
      case "years_since_lt": return `years_since(${key}) < ${number(v)}`;
      case "years_since_ge": return `years_since(${key}) >= ${number(v)}`;
      case "first_time": return `first_time(${key} >= ${value}, ${period})`;
      case "growth": return `growth(${key}, ${period}, ${BASE_PERIOD[period] || "year_before"}) >= ${percent(v)}`;
      default: break;
    }
    const high = attribute.type === "date" ? v2 : number(v2);
    const test = (lhs) => (op === "between" ? `${lhs} between [${value}, ${high}]` : `${lhs} ${op} ${value}`);
    if (!attribute.yearly) return test(key);
    const m = /^(all|any|sum):(\d)$/.exec(period);
    if (!m) return test(`${key}[${period}]`);
    const window = `last ${m[2]} years`;
    if (m[1] === "sum") return test(`sum(${key}, ${window})`);
    return `${m[1] === "all" ? "all_years" : "any_year"}(${test(key)}, ${window})`;
  }

  function groupText(group, nested) {
    const parts = group.items
      .map((item) => (item.type === "group" ? groupText(item, true) : rowText(item)))
      .filter(Boolean);
    if (!parts.length) return "";
    const word = group.join === "any" ? "or" : "and";
    if (nested) return parts.length > 1 ? "(" + parts.join(` ${word} `) + ")" : parts[0];
    return parts.join(`\n${word} `);
  }

  // --- the builder's form -----------------------------------------------------------------------
  const emptyRow = () => ({ type: "row", attribute: "", operator: "", period: "", value: "", value2: "" });
  const emptyGroup = (join) => ({ type: "group", join: join || "all", items: [emptyRow()] });

  function periodChoices(attribute, op) {
    if (op === "gained") return catalogue.periods.gained;
    if (!attribute || !attribute.yearly) return [];
    if (op === "first_time" || op === "growth") return catalogue.periods.single;
    if (COMPARISONS.has(op) || op === "between") {
      const windows = catalogue.periods.windows.filter((p) => op !== "between" || !p.key.startsWith("sum"));
      return [...catalogue.periods.single, ...windows];
    }
    return [];
  }

  function changed() {
    beyond = false;
    conditionText.value = groupText(model, false);
    render();
    schedule();
  }

  function renderRow(row, parent) {
    const attribute = byKey[row.attribute];
    const attributeSelect = el("select", { "data-testid": "builder-attribute", "data-role": "attribute", "aria-label": msg("Choose") },
      [option("", "— " + msg("Choose") + " —", !row.attribute)]);
    catalogue.attributes.forEach((a) => attributeSelect.append(option(a.key, `${label(a)} (${a.key})`, a.key === row.attribute)));
    attributeSelect.addEventListener("change", () => {
      const next = byKey[attributeSelect.value];
      Object.assign(row, emptyRow(), { attribute: attributeSelect.value, operator: next ? next.operators[0] : "" });
      if (next && next.yearly) row.period = "last_year";
      if (next && row.operator === "gained") row.period = "last_year";
      changed();
    });
    const parts = [attributeSelect];
    if (attribute) {
      const opSelect = el("select", { "data-testid": "builder-operator", "aria-label": "operator" });
      attribute.operators.forEach((op) => opSelect.append(option(op, opLabels[op] || op, op === row.operator)));
      opSelect.addEventListener("change", () => {
        row.operator = opSelect.value;
        const choices = periodChoices(attribute, row.operator).map((p) => p.key);
        if (choices.length && !choices.includes(row.period)) row.period = choices[0];
        changed();
      });
      parts.push(opSelect);
      const periods = periodChoices(attribute, row.operator);
      if (periods.length) {
        const periodSelect = el("select", { "data-testid": "builder-period", "aria-label": "period" });
        periods.forEach((p) => periodSelect.append(option(p.key, label(p), p.key === row.period)));
        periodSelect.addEventListener("change", () => { row.period = periodSelect.value; changed(); });
        parts.push(periodSelect);
      }
      if (!["is_true", "is_false"].includes(row.operator)) {
        const listId = attribute.codes.length ? `codes-${attribute.key}` : undefined;
        const input = el("input", {
          type: "text", value: row.value, "data-testid": "builder-value", "aria-label": msg("Value"),
          placeholder: zh ? attribute.unit_zh : attribute.unit_en, list: listId,
        });
        input.addEventListener("input", () => { row.value = input.value; conditionText.value = groupText(model, false); schedule(); });
        parts.push(input);
        if (listId && !document.getElementById(listId)) {
          const list = el("datalist", { id: listId });
          attribute.codes.forEach((c) => list.append(el("option", { value: c.code, label: label(c) })));
          document.body.append(list);
        }
        if (row.operator === "between") {
          const high = el("input", { type: "text", value: row.value2, "data-testid": "builder-value2", "aria-label": msg("To") });
          high.addEventListener("input", () => { row.value2 = high.value; conditionText.value = groupText(model, false); schedule(); });
          parts.push(el("span", { text: msg("To") }), high);
        }
      }
    }
    const remove = el("button", { type: "button", class: "link-button", "data-testid": "builder-remove-row", text: msg("Remove") });
    remove.addEventListener("click", () => {
      parent.items.splice(parent.items.indexOf(row), 1);
      if (!parent.items.length && parent === model) parent.items.push(emptyRow());
      changed();
    });
    parts.push(remove);
    return el("div", { class: "builder-row", "data-testid": "builder-row" }, parts);
  }

  function renderGroup(group, depth, parent) {
    const join = el("select", { "data-testid": "builder-join", "aria-label": "join" }, [
      option("all", msg("All"), group.join === "all"),
      option("any", msg("Any"), group.join === "any"),
    ]);
    join.addEventListener("change", () => { group.join = join.value; changed(); });
    const head = el("div", { class: "builder-head" }, [join]);
    if (parent) {
      const remove = el("button", { type: "button", class: "link-button", "data-testid": "builder-remove-group", text: msg("RemoveGroup") });
      remove.addEventListener("click", () => { parent.items.splice(parent.items.indexOf(group), 1); changed(); });
      head.append(remove);
    }
    const body = group.items.map((item) => (item.type === "group" ? renderGroup(item, depth + 1, group) : renderRow(item, group)));
    const addRow = el("button", { type: "button", class: "button button--secondary button--small", "data-testid": "builder-add-row", text: msg("AddRow") });
    addRow.addEventListener("click", () => { group.items.push(emptyRow()); changed(); });
    const foot = el("div", { class: "builder-foot" }, [addRow]);
    if (depth === 0) {
      const addGroup = el("button", { type: "button", class: "button button--secondary button--small", "data-testid": "builder-add-group", text: msg("AddGroup") });
      addGroup.addEventListener("click", () => { group.items.push(emptyGroup(group.join === "all" ? "any" : "all")); changed(); });
      foot.append(addGroup);
    }
    return el("div", { class: "builder-group", "data-testid": "builder-group", "data-join": group.join }, [head, ...body, foot]);
  }

  function render() {
    if (!catalogue) return;
    builderBox.hidden = false;
    if (beyond) {
      const reset = el("button", { type: "button", class: "button button--secondary button--small", "data-testid": "builder-reset", text: msg("Reset") });
      reset.addEventListener("click", () => { model = emptyGroup(); changed(); });
      builderBox.replaceChildren(el("p", { class: "alert alert--info builder-beyond", "data-testid": "builder-beyond", text: msg("Beyond") }), reset);
      return;
    }
    builderBox.replaceChildren(renderGroup(model, 0, null));
  }

  // --- checking as one types --------------------------------------------------------------------
  function mirror(text, problems) {
    const chars = Array.from(text);
    const marked = problems.filter((p) => p.start !== null && p.start !== undefined).sort((a, b) => a.start - b.start);
    if (!marked.length) return null;
    const pre = el("pre", { class: "rule-mirror" });
    let at = 0;
    marked.forEach((p) => {
      if (p.start < at) return;
      pre.append(chars.slice(at, p.start).join(""));
      pre.append(el("mark", { "data-testid": "rule-mark", text: chars.slice(p.start, p.end).join("") || " " }));
      at = Math.max(p.end, p.start);
    });
    pre.append(chars.slice(at).join(""));
    return pre;
  }

  function show(part, result) {
    const box = feedback[part];
    const text = texts[part].value;
    const name = fieldNames[part];
    const wrapper = box.closest(".field");
    const problems = text.trim() ? result.problems.filter((p) => p.part === part) : [];
    const children = problems.map((p) => el("p", { class: "field-error", "data-testid": "error-" + name, text: p.message }));
    const marks = mirror(text, problems);
    if (marks) { marks.setAttribute("data-testid", part + "-mirror"); children.push(marks); }
    const description = part === "condition"
      ? (zh ? result.description_zh : result.description_en)
      : (zh ? result.amount_description_zh : result.amount_description_en);
    if (result.ok && description) {
      children.push(el("p", { class: "rule-description", "data-testid": part + "-description", text: description }));
    }
    box.replaceChildren(...children);
    wrapper.classList.toggle("field--invalid", problems.length > 0);
    texts[part].toggleAttribute("aria-invalid", problems.length > 0);
  }

  async function check(fromText) {
    const mine = ++sequence;
    const condition = conditionText.value;
    const amount = amountText ? amountText.value : "";
    if (!condition.trim() && !amount.trim()) {
      feedback.condition.replaceChildren();
      if (feedback.amount) feedback.amount.replaceChildren();
      return;
    }
    let result;
    try {
      const response = await fetch(form.dataset.checkUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
        body: JSON.stringify({ condition, amount }),
      });
      if (!response.ok) return;
      result = await response.json();
    } catch (error) {
      return;
    }
    if (mine !== sequence) return; // a newer check is on its way
    show("condition", result);
    if (amountText) show("amount", result);
    if (fromText && result.ok) {
      if (result.builder) { model = result.builder; beyond = false; } else { beyond = true; }
      render();
    }
  }

  function schedule(fromText) {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => check(Boolean(fromText)), 350);
  }

  // --- amount helpers ---------------------------------------------------------------------------
  function attributeSelect(types) {
    const select = el("select", {});
    catalogue.attributes.filter((a) => types.includes(a.type))
      .forEach((a) => select.append(option(a.key, `${label(a)} (${a.key})`, false)));
    return select;
  }
  function periodSelect() {
    const select = el("select", {});
    catalogue.periods.single.forEach((p) => select.append(option(p.key, label(p), p.key === "last_year")));
    return select;
  }
  const read = (select, period) => (byKey[select.value] && byKey[select.value].yearly ? `${select.value}[${period.value}]` : select.value);
  function useAmount(text) {
    if (!text) return;
    amountText.value = text;
    schedule();
  }
  function helpers() {
    if (!helpersBox || !amountText) return;
    const fixed = el("input", { type: "text", placeholder: "20万", "data-testid": "amount-fixed" });
    const useFixed = el("button", { type: "button", class: "button button--secondary button--small", "data-testid": "amount-fixed-use", text: msg("Use") });
    useFixed.addEventListener("click", () => useAmount(number(fixed.value)));

    const base = attributeSelect(["money"]);
    const basePeriod = periodSelect();
    const rate = el("input", { type: "text", placeholder: "10%", "data-testid": "amount-rate" });
    const cap = el("input", { type: "text", placeholder: msg("Cap"), "data-testid": "amount-cap" });
    const useRate = el("button", { type: "button", class: "button button--secondary button--small", "data-testid": "amount-rate-use", text: msg("Use") });
    useRate.addEventListener("click", () => {
      if (!rate.value.trim()) return;
      const product = `${read(base, basePeriod)} * ${percent(rate.value)}`;
      useAmount(cap.value.trim() ? `min(${product}, ${number(cap.value)})` : product);
    });

    const tierBase = attributeSelect(["money", "count", "number"]);
    const tierPeriod = periodSelect();
    const lines = el("textarea", { rows: "3", placeholder: "1亿: 50万\n5亿: 100万", "data-testid": "amount-tiers" });
    const useTiers = el("button", { type: "button", class: "button button--secondary button--small", "data-testid": "amount-tiers-use", text: msg("Use") });
    useTiers.addEventListener("click", () => {
      const steps = lines.value.split(/\n/).map((l) => l.trim()).filter(Boolean)
        .map((l) => l.split(/[:：]/).map(number).join(": "));
      if (steps.length) useAmount(`tiers(${read(tierBase, tierPeriod)}, [${steps.join(", ")}])`);
    });

    helpersBox.replaceChildren(
      el("details", {}, [
        el("summary", { text: msg("Helpers") }),
        el("fieldset", {}, [el("legend", { text: msg("Fixed") }), fixed, useFixed]),
        el("fieldset", {}, [el("legend", { text: msg("Rate") }), el("span", { text: msg("Base") }), base, basePeriod, el("span", { text: "×" }), rate, cap, useRate]),
        el("fieldset", {}, [el("legend", { text: msg("Tiers") }), tierBase, tierPeriod, el("span", { text: msg("TierLines") }), lines, useTiers]),
      ]),
    );
    helpersBox.hidden = false;
  }

  // --- preview of who qualifies -----------------------------------------------------------------
  function previewButton() {
    if (!previewBox || !form.dataset.previewUrl) return;
    const button = el("button", { type: "button", class: "button button--secondary button--small", "data-testid": "builder-preview-run", text: msg("Preview") });
    const out = el("span", { class: "muted", "data-testid": "builder-preview-result", "aria-live": "polite" });
    button.addEventListener("click", async () => {
      out.textContent = msg("Checking");
      const response = await fetch(form.dataset.previewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
        body: JSON.stringify({ condition: conditionText.value, amount: amountText ? amountText.value : "" }),
      });
      const body = await response.json();
      if (!response.ok) { out.textContent = body.title || ""; return; }
      if (!body.available) { out.textContent = msg("NoSnapshot"); return; }
      out.textContent = `${msg("Eligible")} ${body.preview.eligible} · ${msg("Likely")} ${body.preview.likely}`;
    });
    previewBox.replaceChildren(button, document.createTextNode(" "), out);
    previewBox.hidden = false;
  }

  // --- start ------------------------------------------------------------------------------------
  async function start() {
    try {
      const response = await fetch(form.dataset.attributesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      catalogue = await response.json();
    } catch (error) {
      return;
    }
    catalogue.attributes.forEach((a) => { byKey[a.key] = a; });
    catalogue.operators.forEach((o) => { opLabels[o.key] = label(o); });
    model = emptyGroup();
    render();
    helpers();
    previewButton();
    conditionText.addEventListener("input", () => schedule(true));
    if (amountText) amountText.addEventListener("input", () => schedule(false));
    if (conditionText.value.trim()) check(true);
  }
  start();
})();
