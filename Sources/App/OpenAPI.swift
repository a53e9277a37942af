/// The OpenAPI 3.1 document of every route, served at `/api/openapi.json`.
/// Kept beside the routes; a test checks that every route of the router is described here.
enum OpenAPI {
    static let document: [UInt8] = Array(json.utf8)

    static let json = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "saescope",
        "version": "1",
        "description": "Browse the latents of a sparse autoencoder: statistics, top-activating snippets, explanations and search. Errors are {\"error\": {\"status\": N, \"message\": \"...\"}}.",
        "license": {"name": "MIT", "identifier": "MIT"}
      },
      "paths": {
        "/api/health": {
          "get": {"operationId": "health", "summary": "Liveness and basic facts",
                  "responses": {"200": {"description": "The server is up", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}}
        },
        "/api/sae": {
          "get": {"operationId": "sae", "summary": "The SAE, model, corpus and summary statistics of the index",
                  "responses": {"200": {"description": "Index metadata", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SAEInfo"}}}}}}
        },
        "/api/features": {
          "get": {"operationId": "listFeatures", "summary": "A page of latents",
                  "parameters": [
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647, "default": 0}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
                    {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["id", "density", "max_activation"], "default": "id"}},
                    {"name": "order", "in": "query", "description": "Default asc for id, desc otherwise", "schema": {"type": "string", "enum": ["asc", "desc"]}},
                    {"name": "q", "in": "query", "description": "Only latents whose explanation matches this FTS5 query", "schema": {"type": "string"}}
                  ],
                  "responses": {"200": {"description": "A page of latents", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FeaturePage"}}}},
                                "400": {"$ref": "#/components/responses/BadRequest"}}}
        },
        "/api/features/{id}": {
          "get": {"operationId": "getFeature", "summary": "Everything about one latent",
                  "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}}],
                  "responses": {"200": {"description": "The latent", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Feature"}}}},
                                "400": {"$ref": "#/components/responses/BadRequest"},
                                "404": {"$ref": "#/components/responses/NotFound"}}}
        },
        "/api/search": {
          "get": {"operationId": "searchExplanations", "summary": "Full-text search over explanations (FTS5 syntax), most relevant first",
                  "parameters": [
                    {"name": "q", "in": "query", "required": true, "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}
                  ],
                  "responses": {"200": {"description": "Matching latents", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResults"}}}},
                                "400": {"$ref": "#/components/responses/BadRequest"}}}
        },
        "/api/search/tokens": {
          "get": {"operationId": "searchTokens", "summary": "Latents that fire on a vocabulary token",
                  "parameters": [
                    {"name": "token", "in": "query", "required": true, "description": "Matches a token's text exactly, or ignoring case and surrounding whitespace", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 20}}
                  ],
                  "responses": {"200": {"description": "Matching tokens and their latents", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TokenSearchResults"}}}},
                                "400": {"$ref": "#/components/responses/BadRequest"}}}
        },
        "/api/activations": {
          "post": {"operationId": "activations", "summary": "Run text through the model and the SAE (needs serve --model and --sae)",
                   "description": "Tokens (BOS first), each token's strongest latents, exact per-token values of requested latents, the text's latents ranked by their largest value (BOS left out), and the index's facts for every latent named. A Server-Timing header gives tokenize, queue, model, encode and index times.",
                   "requestBody": {"required": true, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["text"],
                     "properties": {"text": {"type": "string", "minLength": 1, "description": "At most max_text_bytes bytes and max_tokens tokens (GET /api/sae, live_limits)"},
                                    "features": {"type": "array", "items": {"type": "integer", "minimum": 0}, "description": "Latents whose value at every token is wanted"},
                                    "top_k": {"type": "integer", "minimum": 1, "maximum": 64, "default": 8, "description": "Latents listed per token"},
                                    "top_latents": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50, "description": "Length of the text's ranking"}}}}}},
                   "responses": {"200": {"description": "Per-token latents", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Activations"}}}},
                                 "400": {"$ref": "#/components/responses/BadRequest"},
                                 "413": {"$ref": "#/components/responses/Error"},
                                 "503": {"description": "No model loaded, or too many live requests (then with Retry-After)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}
        },
        "/api/openapi.json": {
          "get": {"operationId": "openapi", "summary": "This document",
                  "responses": {"200": {"description": "OpenAPI 3.1 document", "content": {"application/json": {"schema": {"type": "object"}}}}}}
        }
      },
      "components": {
        "responses": {
          "BadRequest": {"description": "A bad parameter, named in the message", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "NotFound": {"description": "No such latent", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Error": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        },
        "schemas": {
          "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["status", "message"],
                    "properties": {"status": {"type": "integer"}, "message": {"type": "string"}}}}},
          "Health": {"type": "object", "required": ["status", "version", "latents", "live"],
                     "properties": {"status": {"type": "string"}, "version": {"type": "string"}, "latents": {"type": "integer"}, "live": {"type": "boolean"}}},
          "SAEInfo": {"type": "object", "required": ["sae", "model", "corpus", "build", "summary", "schema_version", "live"],
                      "properties": {
                        "sae": {"type": "object", "properties": {"name": {"type": "string"}, "architecture": {"type": "string"}, "n_latents": {"type": "integer"},
                                "d_model": {"type": "integer"}, "k": {"type": ["integer", "null"]}, "hook": {"type": "string"}, "layer": {"type": ["integer", "null"]},
                                "file": {"type": ["string", "null"]}, "sha256": {"type": ["string", "null"]}}},
                        "model": {"type": "object", "properties": {"name": {"type": "string"}, "architecture": {"type": "string"},
                                  "file": {"type": ["string", "null"]}, "sha256": {"type": ["string", "null"]}}},
                        "corpus": {"type": "object", "properties": {"name": {"type": "string"}, "documents": {"type": "integer"}, "tokens": {"type": "integer"}}},
                        "build": {"type": "object"},
                        "summary": {"type": "object", "properties": {"latents": {"type": "integer"}, "dead_latents": {"type": "integer"}, "tokens_indexed": {"type": "integer"},
                                    "density_histogram": {"type": "object", "properties": {"log10_min": {"type": "number"}, "log10_max": {"type": "number"},
                                                          "counts": {"type": "array", "items": {"type": "integer"}}}}}},
                        "schema_version": {"type": "integer"},
                        "live": {"type": "boolean"},
                        "live_limits": {"type": "object", "description": "Only when live",
                                        "properties": {"max_text_bytes": {"type": "integer"}, "max_tokens": {"type": "integer"},
                                                       "max_top_k": {"type": "integer"}, "max_features": {"type": "integer"},
                                                       "max_top_latents": {"type": "integer"}}}}},
          "Explanation": {"type": ["object", "null"], "properties": {"text": {"type": "string"}, "source": {"type": "string"}, "automatic": {"type": "boolean"}}},
          "FeatureSummary": {"type": "object", "required": ["id", "density", "max_activation", "mean", "explanation"],
                             "properties": {"id": {"type": "integer"}, "density": {"type": "number"}, "max_activation": {"type": "number"}, "mean": {"type": "number"},
                                            "explanation": {"$ref": "#/components/schemas/Explanation"}}},
          "FeaturePage": {"type": "object", "required": ["total", "offset", "limit", "sort", "order", "features"],
                          "properties": {"total": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"}, "sort": {"type": "string"},
                                         "order": {"type": "string"}, "q": {"type": ["string", "null"]},
                                         "features": {"type": "array", "items": {"$ref": "#/components/schemas/FeatureSummary"}}}},
          "TokenValue": {"type": "object", "properties": {"token": {"type": "string"}, "token_id": {"type": "integer"}, "value": {"type": "number"}}},
          "Example": {"type": "object", "required": ["tokens", "activations", "max_index", "max_activation", "document"],
                      "properties": {"tokens": {"type": "array", "items": {"type": "string"}, "description": "Display strings, one per token"},
                                     "activations": {"type": "array", "items": {"type": "number"}}, "max_index": {"type": "integer"},
                                     "max_activation": {"type": "number"}, "document": {"type": "integer"}, "offset": {"type": "integer"}}},
          "Feature": {"type": "object", "required": ["id", "explanation", "stats", "histogram", "logits", "neighbors", "examples"],
                      "properties": {
                        "id": {"type": "integer"},
                        "explanation": {"$ref": "#/components/schemas/Explanation"},
                        "explanations": {"type": "array", "items": {"$ref": "#/components/schemas/Explanation"}},
                        "stats": {"type": "object", "properties": {"density": {"type": "number"}, "max_activation": {"type": "number"}, "mean": {"type": "number"},
                                  "mean_square": {"type": "number"}, "skew": {"type": ["number", "null"]}, "kurtosis": {"type": ["number", "null"]}}},
                        "histogram": {"type": "object", "properties": {"min": {"type": "number"}, "max": {"type": "number"}, "counts": {"type": "array", "items": {"type": "integer"}}}},
                        "logits": {"type": "object", "properties": {"top": {"type": "array", "items": {"$ref": "#/components/schemas/TokenValue"}},
                                   "bottom": {"type": "array", "items": {"$ref": "#/components/schemas/TokenValue"}}}},
                        "neighbors": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "cosine": {"type": "number"},
                                      "explanation": {"$ref": "#/components/schemas/Explanation"}}}},
                        "examples": {"type": "object", "properties": {
                          "top": {"type": "array", "items": {"$ref": "#/components/schemas/Example"}},
                          "intervals": {"type": "array", "items": {"type": "object", "properties": {"min": {"type": "number"}, "max": {"type": "number"},
                                        "contains": {"type": "number"}, "examples": {"type": "array", "items": {"$ref": "#/components/schemas/Example"}}}}}}},
                        "prev": {"type": ["integer", "null"]},
                        "next": {"type": ["integer", "null"]}}},
          "LatentValue": {"type": "object", "required": ["id", "value"], "properties": {"id": {"type": "integer"}, "value": {"type": "number"}}},
          "Activations": {"type": "object", "required": ["hook", "tokens", "token_ids", "special", "token_latents", "features", "top_latents", "latents", "timing_ms"],
                          "properties": {
                            "hook": {"type": "string"},
                            "tokens": {"type": "array", "items": {"type": "string"}, "description": "Display strings, one per token"},
                            "token_ids": {"type": "array", "items": {"type": "integer"}},
                            "special": {"type": "array", "items": {"type": "boolean"}, "description": "Tokens left out of rankings (BOS, the first position)"},
                            "token_latents": {"type": "array", "items": {"type": "array", "items": {"$ref": "#/components/schemas/LatentValue"}}},
                            "features": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "activations": {"type": "array", "items": {"type": "number"}}}}},
                            "top_latents": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "max": {"type": "number"},
                                            "token": {"type": "integer"}, "count": {"type": "integer"}}}},
                            "latents": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                                          "explanation": {"$ref": "#/components/schemas/Explanation"}, "density": {"type": "number"}, "max_activation": {"type": "number"}}}},
                            "timing_ms": {"type": "object", "additionalProperties": {"type": "number"}}}},
          "SearchResults": {"type": "object", "properties": {"q": {"type": "string"}, "results": {"type": "array", "items": {"type": "object", "properties": {
                              "id": {"type": "integer"}, "explanation": {"$ref": "#/components/schemas/Explanation"}, "density": {"type": "number"}, "max_activation": {"type": "number"}}}}}},
          "TokenSearchResults": {"type": "object", "properties": {"token": {"type": "string"}, "matches": {"type": "array", "items": {"type": "object", "properties": {
                                   "token_id": {"type": "integer"}, "token": {"type": "string"}, "latents": {"type": "array", "items": {"type": "object", "properties": {
                                     "id": {"type": "integer"}, "count": {"type": "integer"}, "mean_activation": {"type": "number"}, "max_activation": {"type": "number"},
                                     "explanation": {"$ref": "#/components/schemas/Explanation"}}}}}}}}}
        }
      }
    }
    """#
}
