// IAM policy evaluation for the AWS check tier (tests/aws), through @cloud-copilot/iam-simulate.
//
// iam-simulate is AGPL-3.0-or-later: this folder is a test-only tool that is never shipped or
// served (nothing under components/, showrunner/ or policies/ imports it).
//
// Reads one JSON object on stdin:
//   {"principals": {NAME: {"arn": ..., "identityPolicies": [{name, policy}], "permissionBoundaryPolicies": [...]}},
//    "requests": [{"principal": NAME, "action": "ec2:CreateSubnet", "resource": ARN | "*",
//                  "account": "123456789012", "context": {KEY: VALUE | [VALUES]}}]}
// Writes one JSON array, a result per request, in order:
//   {"decision": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | "Error", "error": MESSAGE,
//    "ignoredContextKeys": [...], "resourceType": "subnet"}
// Strict mode: the request is evaluated exactly as given; a context key that AWS does not supply
// for that action and resource type is ignored, and listed, as AWS would ignore it.
import { runSimulation } from "@cloud-copilot/iam-simulate";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));

async function evaluate(request) {
  const principal = input.principals[request.principal];
  if (!principal) return { decision: "Error", error: `unknown principal ${request.principal}` };
  const simulation = {
    request: {
      principal: principal.arn,
      action: request.action,
      resource: { resource: request.resource, accountId: request.account },
      contextVariables: request.context ?? {},
    },
    identityPolicies: principal.identityPolicies ?? [],
    permissionBoundaryPolicies: principal.permissionBoundaryPolicies?.length ? principal.permissionBoundaryPolicies : undefined,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: request.resourcePolicy,
  };
  let response;
  try {
    response = await runSimulation(simulation, { simulationMode: "Strict" });
  } catch (error) {
    return { decision: "Error", error: String(error?.message ?? error) };
  }
  if (response.resultType === "error") {
    return { decision: "Error", error: response.errors.message, details: response.errors };
  }
  if (response.resultType === "wildcard") {
    return { decision: response.overallResult, resourceType: response.results.map((r) => r.resourceType).join(",") };
  }
  return {
    decision: response.overallResult,
    ignoredContextKeys: response.result.ignoredContextKeys ?? [],
    resourceType: response.result.resourceType,
  };
}

const results = [];
for (const request of input.requests) results.push(await evaluate(request));
process.stdout.write(JSON.stringify(results));
