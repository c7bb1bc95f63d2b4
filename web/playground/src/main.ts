document.body.append("Playground");
