#!/usr/bin/env node
// Validates SBOM documents written by bulwark (or anyone).
//
//   node tests/schema/validate.mjs cyclonedx FILE...
//   node tests/schema/validate.mjs spdx FILE...
//   node tests/schema/validate.mjs bulwark FILE...     (bulwark's own --format json)
//   node tests/schema/validate.mjs sarif FILE...       (--format sarif)
//
// Exit 0 when every file is valid; 1 with the errors printed; 2 on bad usage or
// when the validator's npm packages are missing (run tests/schema/setup.sh).
// The npm packages live outside the source tree, in the folder named by
// $BULWARK_SCHEMA_NODE (default: <repo>/build/schema-node), where setup.sh puts them.
//
// CycloneDX: the official CycloneDX 1.5 JSON schema (draft-07) as shipped by
// @cyclonedx/cyclonedx-library, with the SPDX licence-id and JSF schemas it
// references, checked with ajv; plus the reference rules the schema cannot
// express (bom-refs unique, dependency refs defined).
// SPDX: no npm package ships the SPDX 2.3 JSON schema, so the document is
// checked against the rules of the SPDX 2.3 specification written out below
// (required fields, allowed fields, id syntax, licence expressions via
// spdx-expression-parse, relationship types and targets).
// bulwark: docs/formats/bulwark-v1.schema.json, bulwark's own JSON shape.
// SARIF: the official SARIF 2.1.0 JSON schema (sarif-2.1.0-rtm.5, draft-04) as
// shipped by @microsoft/jest-sarif, checked with ajv-draft-04; plus the rules
// GitHub code scanning adds (at least one location per result, relative artifact
// URIs, startLine >= 1, ruleId/ruleIndex naming a rule, security-severity 0-10).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const nodePrefix = path.resolve(process.env.BULWARK_SCHEMA_NODE || path.join(here, "../../build/schema-node"));

function usage(message) {
  if (message) console.error(`validate.mjs: ${message}`);
  console.error("usage: node validate.mjs cyclonedx|spdx|bulwark|sarif FILE...");
  process.exit(2);
}

function loadModules() {
  const require = createRequire(path.join(nodePrefix, "package.json"));
  try {
    const Ajv = require("ajv");
    const addFormats = require("ajv-formats");
    const spdxParse = require("spdx-expression-parse");
    const cdxRoot = path.dirname(require.resolve("@cyclonedx/cyclonedx-library/package.json"));
    const AjvDraft04 = require("ajv-draft-04");
    const sarifRoot = path.dirname(require.resolve("@microsoft/jest-sarif/package.json"));
    return {
      Ajv: Ajv.default || Ajv, addFormats: addFormats.default || addFormats, spdxParse, cdxRoot,
      AjvDraft04: AjvDraft04.default || AjvDraft04, sarifRoot,
    };
  } catch (error) {
    console.error(`validate.mjs: npm packages missing under ${nodePrefix} (run tests/schema/setup.sh): ${error.message}`);
    process.exit(2);
  }
}

// ---------------------------------------------------------------- CycloneDX

function cyclonedxValidator(modules) {
  const schemaDir = path.join(modules.cdxRoot, "res", "schema");
  const load = (name) => JSON.parse(readFileSync(path.join(schemaDir, name), "utf8"));
  const ajv = new modules.Ajv({ strict: false, allErrors: true, validateFormats: true });
  modules.addFormats(ajv);
  // Formats of draft 2019 that the schema names and ajv-formats lacks; bulwark
  // writes neither, so a permissive but not empty check is enough here.
  ajv.addFormat("iri-reference", (s) => typeof s === "string" && !/[\s\u0000-\u001f]/.test(s));
  ajv.addFormat("idn-email", (s) => /^[^@\s]+@[^@\s]+$/.test(s));
  // The library ships the schemas as *.SNAPSHOT.schema.json and the bom schema
  // refers to its neighbours by those file names (relative to its own $id), while
  // their $id says spdx.schema.json / jsf-0.82.schema.json: register both names.
  for (const [file, alias] of [
    ["spdx.SNAPSHOT.schema.json", "spdx.schema.json"],
    ["jsf-0.82.SNAPSHOT.schema.json", "jsf-0.82.schema.json"],
  ]) {
    const schema = load(file);
    ajv.addSchema(schema);
    ajv.addSchema({ ...schema, $id: `http://cyclonedx.org/schema/${file}` });
    if (schema.$id !== `http://cyclonedx.org/schema/${alias}`) throw new Error(`unexpected $id in ${file}`);
  }
  const validate = ajv.compile(load("bom-1.5.SNAPSHOT.schema.json"));

  return (doc) => {
    const errors = [];
    if (!validate(doc)) {
      for (const e of validate.errors) errors.push(`schema: ${e.instancePath || "/"} ${e.message}${e.keyword === "enum" ? "" : " " + JSON.stringify(e.params)}`);
    }
    if (doc.specVersion !== "1.5") errors.push(`specVersion is ${JSON.stringify(doc.specVersion)}, not "1.5"`);
    const refs = new Set();
    const collect = (component, where) => {
      if (!component || typeof component !== "object") return;
      const ref = component["bom-ref"];
      if (ref !== undefined) {
        if (refs.has(ref)) errors.push(`${where}: bom-ref ${JSON.stringify(ref)} is not unique`);
        refs.add(ref);
      }
      (component.components || []).forEach((c, i) => collect(c, `${where}/components/${i}`));
    };
    collect(doc.metadata?.component, "/metadata/component");
    (doc.components || []).forEach((c, i) => collect(c, `/components/${i}`));
    (doc.dependencies || []).forEach((d, i) => {
      if (!refs.has(d.ref)) errors.push(`/dependencies/${i}: ref ${JSON.stringify(d.ref)} names no component`);
      for (const on of d.dependsOn || []) {
        if (!refs.has(on)) errors.push(`/dependencies/${i}: dependsOn ${JSON.stringify(on)} names no component`);
      }
    });
    return errors;
  };
}

// ---------------------------------------------------------------- SPDX 2.3

const SPDX_DOCUMENT_FIELDS = new Set([
  "SPDXID", "annotations", "comment", "creationInfo", "dataLicense", "documentDescribes", "documentNamespace",
  "externalDocumentRefs", "files", "hasExtractedLicensingInfos", "name", "packages", "relationships", "revieweds",
  "snippets", "spdxVersion",
]);
const SPDX_CREATION_FIELDS = new Set(["comment", "created", "creators", "licenseListVersion"]);
const SPDX_PACKAGE_FIELDS = new Set([
  "SPDXID", "annotations", "attributionTexts", "builtDate", "checksums", "comment", "copyrightText", "description",
  "downloadLocation", "externalRefs", "filesAnalyzed", "hasFiles", "homepage", "licenseComments", "licenseConcluded",
  "licenseDeclared", "licenseInfoFromFiles", "name", "originator", "packageFileName", "packageVerificationCode",
  "primaryPackagePurpose", "releaseDate", "sourceInfo", "summary", "supplier", "validUntilDate", "versionInfo",
]);
const SPDX_PURPOSES = new Set([
  "APPLICATION", "FRAMEWORK", "LIBRARY", "CONTAINER", "OPERATING-SYSTEM", "DEVICE", "FIRMWARE", "SOURCE", "ARCHIVE",
  "FILE", "INSTALL", "OTHER",
]);
const SPDX_REF_CATEGORIES = new Set([
  "SECURITY", "PACKAGE-MANAGER", "PERSISTENT-ID", "OTHER", "PACKAGE_MANAGER", "PERSISTENT_ID",
]);
const SPDX_RELATIONSHIPS = new Set([
  "DESCRIBES", "DESCRIBED_BY", "CONTAINS", "CONTAINED_BY", "DEPENDS_ON", "DEPENDENCY_OF", "DEPENDENCY_MANIFEST_OF",
  "BUILD_DEPENDENCY_OF", "DEV_DEPENDENCY_OF", "OPTIONAL_DEPENDENCY_OF", "PROVIDED_DEPENDENCY_OF",
  "TEST_DEPENDENCY_OF", "RUNTIME_DEPENDENCY_OF", "EXAMPLE_OF", "GENERATES", "GENERATED_FROM", "ANCESTOR_OF",
  "DESCENDANT_OF", "VARIANT_OF", "DISTRIBUTION_ARTIFACT", "PATCH_FOR", "PATCH_APPLIED", "COPY_OF", "FILE_ADDED",
  "FILE_DELETED", "FILE_MODIFIED", "EXPANDED_FROM_ARCHIVE", "DYNAMIC_LINK", "STATIC_LINK", "DATA_FILE_OF",
  "TEST_CASE_OF", "BUILD_TOOL_OF", "DEV_TOOL_OF", "TEST_OF", "TEST_TOOL_OF", "DOCUMENTATION_OF",
  "OPTIONAL_COMPONENT_OF", "METAFILE_OF", "PACKAGE_OF", "AMENDS", "PREREQUISITE_FOR", "HAS_PREREQUISITE",
  "REQUIREMENT_DESCRIPTION_FOR", "SPECIFICATION_FOR", "OTHER",
]);
const SPDX_ID = /^SPDXRef-[A-Za-z0-9.-]+$/;
const SPDX_CREATED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

function spdxValidator(modules) {
  return (doc) => {
    const errors = [];
    const err = (where, message) => errors.push(`${where}: ${message}`);
    const isText = (v) => typeof v === "string" && v.length > 0;
    const unknownFields = (object, allowed, where) => {
      for (const key of Object.keys(object)) if (!allowed.has(key)) err(where, `field ${JSON.stringify(key)} is not an SPDX 2.3 field`);
    };
    const licence = (value, where) => {
      if (value === undefined) return;
      if (value === "NOASSERTION" || value === "NONE") return;
      if (!isText(value)) return err(where, "must be a licence expression, NONE or NOASSERTION");
      try {
        modules.spdxParse(value);
      } catch (e) {
        err(where, `${JSON.stringify(value)} is not a valid SPDX licence expression (${e.message})`);
      }
    };

    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return ["/: the document is not a JSON object"];
    unknownFields(doc, SPDX_DOCUMENT_FIELDS, "/");
    if (doc.spdxVersion !== "SPDX-2.3") err("/spdxVersion", `must be "SPDX-2.3", is ${JSON.stringify(doc.spdxVersion)}`);
    if (doc.dataLicense !== "CC0-1.0") err("/dataLicense", 'must be "CC0-1.0"');
    if (doc.SPDXID !== "SPDXRef-DOCUMENT") err("/SPDXID", 'must be "SPDXRef-DOCUMENT"');
    if (!isText(doc.name)) err("/name", "required, a non-empty string");
    if (!isText(doc.documentNamespace)) {
      err("/documentNamespace", "required, a non-empty string");
    } else {
      let url = null;
      try {
        url = new URL(doc.documentNamespace);
      } catch {
        err("/documentNamespace", "must be an absolute URI");
      }
      if (url && doc.documentNamespace.includes("#")) err("/documentNamespace", "must not contain '#'");
    }
    const ci = doc.creationInfo;
    if (typeof ci !== "object" || ci === null) {
      err("/creationInfo", "required");
    } else {
      unknownFields(ci, SPDX_CREATION_FIELDS, "/creationInfo");
      if (!SPDX_CREATED.test(ci.created || "")) err("/creationInfo/created", "must be YYYY-MM-DDThh:mm:ssZ");
      if (!Array.isArray(ci.creators) || ci.creators.length === 0) err("/creationInfo/creators", "at least one creator");
      for (const [i, c] of (ci.creators || []).entries()) {
        if (!/^(Person|Organization|Tool): \S/.test(c)) err(`/creationInfo/creators/${i}`, "must start with Person:, Organization: or Tool:");
      }
    }

    const ids = new Set(["SPDXRef-DOCUMENT"]);
    for (const [i, p] of (doc.packages || []).entries()) {
      const where = `/packages/${i}`;
      if (typeof p !== "object" || p === null) { err(where, "not an object"); continue; }
      unknownFields(p, SPDX_PACKAGE_FIELDS, where);
      if (!SPDX_ID.test(p.SPDXID || "")) err(`${where}/SPDXID`, `${JSON.stringify(p.SPDXID)} is not a valid SPDX id`);
      else if (ids.has(p.SPDXID)) err(`${where}/SPDXID`, `${p.SPDXID} is not unique`);
      ids.add(p.SPDXID);
      if (!isText(p.name)) err(`${where}/name`, "required, a non-empty string");
      if (!isText(p.downloadLocation)) err(`${where}/downloadLocation`, "required (a URL, NONE or NOASSERTION)");
      if ("versionInfo" in p && typeof p.versionInfo !== "string") err(`${where}/versionInfo`, "must be a string");
      if ("filesAnalyzed" in p && typeof p.filesAnalyzed !== "boolean") err(`${where}/filesAnalyzed`, "must be a boolean");
      if (p.filesAnalyzed !== false) {
        // filesAnalyzed defaults to true, which requires the files and a verification code.
        if (!p.packageVerificationCode) err(where, "filesAnalyzed is true (the default) but packageVerificationCode is missing");
      }
      licence(p.licenseConcluded, `${where}/licenseConcluded`);
      licence(p.licenseDeclared, `${where}/licenseDeclared`);
      if ("copyrightText" in p && !isText(p.copyrightText)) err(`${where}/copyrightText`, "must be text, NONE or NOASSERTION");
      for (const who of ["supplier", "originator"]) {
        if (who in p && p[who] !== "NOASSERTION" && !/^(Person|Organization): \S/.test(p[who])) {
          err(`${where}/${who}`, "must be NOASSERTION or start with Person: or Organization:");
        }
      }
      if ("primaryPackagePurpose" in p && !SPDX_PURPOSES.has(p.primaryPackagePurpose)) {
        err(`${where}/primaryPackagePurpose`, `${JSON.stringify(p.primaryPackagePurpose)} is not an SPDX 2.3 purpose`);
      }
      for (const [j, r] of (p.externalRefs || []).entries()) {
        const rw = `${where}/externalRefs/${j}`;
        if (!SPDX_REF_CATEGORIES.has(r.referenceCategory)) err(rw, `referenceCategory ${JSON.stringify(r.referenceCategory)} is not allowed`);
        if (!isText(r.referenceType)) err(rw, "referenceType required");
        if (!isText(r.referenceLocator) || /\s/.test(r.referenceLocator)) err(rw, "referenceLocator required, without whitespace");
        if (r.referenceType === "purl" && !/^pkg:[A-Za-z.+-]+\//.test(r.referenceLocator || "")) err(rw, "a purl locator must start with pkg:<type>/");
      }
    }

    let describes = Array.isArray(doc.documentDescribes) ? doc.documentDescribes.length : 0;
    for (const [i, r] of (doc.relationships || []).entries()) {
      const where = `/relationships/${i}`;
      if (!SPDX_RELATIONSHIPS.has(r.relationshipType)) err(where, `relationshipType ${JSON.stringify(r.relationshipType)} is not an SPDX 2.3 type`);
      if (!ids.has(r.spdxElementId)) err(where, `spdxElementId ${JSON.stringify(r.spdxElementId)} names no element`);
      if (!ids.has(r.relatedSpdxElement) && r.relatedSpdxElement !== "NONE" && r.relatedSpdxElement !== "NOASSERTION") {
        err(where, `relatedSpdxElement ${JSON.stringify(r.relatedSpdxElement)} names no element`);
      }
      if (r.spdxElementId === "SPDXRef-DOCUMENT" && r.relationshipType === "DESCRIBES") ++describes;
    }
    if (describes === 0) err("/", "the document DESCRIBES nothing (no DESCRIBES relationship or documentDescribes)");
    return errors;
  };
}

// ---------------------------------------------------------------- bulwark/v1

function bulwarkValidator(modules) {
  const schema = JSON.parse(readFileSync(path.resolve(here, "../../docs/formats/bulwark-v1.schema.json"), "utf8"));
  const ajv = new modules.Ajv({ strict: true, allErrors: true });
  const validate = ajv.compile(schema);
  return (doc) => {
    if (validate(doc)) return [];
    return validate.errors.map((e) => `schema: ${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
  };
}

// ---------------------------------------------------------------- SARIF 2.1.0

function sarifValidator(modules) {
  const schema = JSON.parse(readFileSync(path.join(modules.sarifRoot, "lib", "schemas", "sarif-2.1.0-rtm.5.json"), "utf8"));
  // unicodeRegExp off: the official schema's "language" pattern has a stray ']' that
  // JavaScript rejects in /u mode but reads as a literal otherwise (as other validators do).
  const ajv = new modules.AjvDraft04({ strict: false, allErrors: true, validateFormats: true, unicodeRegExp: false });
  modules.addFormats(ajv);
  const validate = ajv.compile(schema);
  return (doc) => {
    const errors = [];
    if (!validate(doc)) {
      for (const e of validate.errors) errors.push(`schema: ${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
    }
    if (doc.version !== "2.1.0") errors.push(`version is ${JSON.stringify(doc.version)}, not "2.1.0"`);
    for (const [ri, run] of (doc.runs || []).entries()) {
      const rules = run.tool?.driver?.rules || [];
      const ids = rules.map((r) => r.id);
      if (new Set(ids).size !== ids.length) errors.push(`/runs/${ri}: rule ids are not unique`);
      for (const [i, rule] of rules.entries()) {
        const score = rule.properties?.["security-severity"];
        if (score !== undefined && !(typeof score === "string" && /^\d+(\.\d+)?$/.test(score) && +score <= 10)) {
          errors.push(`/runs/${ri}/tool/driver/rules/${i}: security-severity ${JSON.stringify(score)} is not a number 0-10 as a string`);
        }
        if ((rule.properties?.tags || []).length > 20) errors.push(`/runs/${ri}/tool/driver/rules/${i}: more than 20 tags`);
      }
      for (const [i, result] of (run.results || []).entries()) {
        const where = `/runs/${ri}/results/${i}`;
        if (!ids.includes(result.ruleId)) errors.push(`${where}: ruleId ${JSON.stringify(result.ruleId)} names no rule`);
        if (result.ruleIndex !== undefined && ids[result.ruleIndex] !== result.ruleId) errors.push(`${where}: ruleIndex does not point at ruleId`);
        if (!result.message?.text) errors.push(`${where}: message.text is required`);
        if (!Array.isArray(result.locations) || result.locations.length === 0) errors.push(`${where}: code scanning needs at least one location`);
        for (const [j, loc] of (result.locations || []).entries()) {
          const phys = loc.physicalLocation;
          if (!phys) { errors.push(`${where}/locations/${j}: no physicalLocation`); continue; }
          const uri = phys.artifactLocation?.uri;
          if (typeof uri !== "string" || uri === "") errors.push(`${where}/locations/${j}: artifactLocation.uri is required`);
          else if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri) || uri.startsWith("/")) errors.push(`${where}/locations/${j}: uri ${JSON.stringify(uri)} is not relative`);
          if (!(phys.region?.startLine >= 1)) errors.push(`${where}/locations/${j}: region.startLine must be >= 1`);
        }
      }
    }
    return errors;
  };
}

// ---------------------------------------------------------------- main

const [format, ...files] = process.argv.slice(2);
const validators = { cyclonedx: cyclonedxValidator, spdx: spdxValidator, bulwark: bulwarkValidator, sarif: sarifValidator };
if (!(format in validators)) usage(format ? `unknown format ${format}` : "no format given");
if (files.length === 0) usage("no file given");
const modules = loadModules();
const check = validators[format](modules);
let invalid = 0;
for (const file of files) {
  let doc;
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    console.error(`${file}: cannot read JSON: ${error.message}`);
    ++invalid;
    continue;
  }
  const errors = check(doc);
  if (errors.length === 0) {
    console.log(`${file}: valid ${format}`);
  } else {
    ++invalid;
    console.error(`${file}: INVALID ${format} (${errors.length} errors)`);
    for (const e of errors.slice(0, 50)) console.error(`  ${e}`);
  }
}
process.exit(invalid === 0 ? 0 : 1);
