/* Starts Swagger UI on the API's OpenAPI document (an external file: the CSP forbids inline scripts). */
(function () {
  "use strict";
  var target = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: target.getAttribute("data-spec"), dom_id: "#swagger-ui" });
})();
